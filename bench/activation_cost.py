"""Activation cost: the Web API calls and the wall time from the activation modal's submit to the
checklist posted, with Slack answering every call in 100 ms.

    .venv/bin/python bench/activation_cost.py [--latency 0.1]

The bot runs in this process under waitress, on a temporary SQLite database, against the fake Slack
(127.0.0.1). A team member opens the form and submits it (signed like Slack); the script waits for
the Slack set-up to finish, then prints each call the bot made with its start offset from the submit
and its duration (from the fake's record of each call), and the calls on the critical path to the
checklist. Run twice: the first activation after start (the bot still has to look the team's emails
up) and a second one (the directory is warm).

Independent set-up tasks should overlap: each starts once the task it depends on is done
(bot.activation.DEPENDS_ON). The critical path is found backwards from the checklist post: at each
step, the call the next one waited for (the last to finish before it started, among its own task's
and the task it depends on).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import _harness as h


def label(call) -> str:
    p = call.params
    if call.method == "chat.postMessage":
        key = ((p.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        if key:
            return f"chat.postMessage {key.split(':', 1)[1]}"
        return "chat.postMessage DM" if str(p.get("channel", "")).startswith(("D", "U")) else "chat.postMessage"
    if call.method == "conversations.invite":
        return f"conversations.invite ({len(str(p.get('users', '')).split(','))} people)"
    if call.method == "conversations.open":
        return f"conversations.open ({p.get('users')})"
    return call.method


TASK_OF = {"conversations.create": "create_channel", "conversations.setTopic": "set_topic",
           "conversations.invite": "invite", "chat.postMessage header": "post_header",
           "chat.postMessage announce": "announce", "chat.postMessage checklist": "post_checklist",
           "pins.add": "pin_header", "conversations.open": "notify_people", "chat.postMessage DM": "notify_people"}


def task_of(call) -> str | None:
    """The set-up task (bot.activation.TASKS) that made this call; None for calls before the set-up."""
    name = label(call)
    return next((task for prefix, task in TASK_OF.items() if name.startswith(prefix)), None)


def critical_path(calls, last):
    """Backwards from `last`, the call each one waited for: the last to finish before it started among
    the earlier calls of its own task and the calls of the task it depends on (bot.activation.DEPENDS_ON);
    for the first task, any earlier call (the bot's look-ups before the set-up)."""
    from bot.usecases.activation import DEPENDS_ON

    path = [last]
    while True:
        current = path[-1]
        task = task_of(current)
        needs = DEPENDS_ON.get(task) if task else None
        before = [c for c in calls if c is not current and c.at <= current.started + 0.002
                  and (task_of(c) in (task, needs) or not needs)]
        if not before:
            return list(reversed(path))
        path.append(max(before, key=lambda c: c.at))


def activation(app, fake, slack, user: str, *, latency: float, title: str, circumstance: str) -> dict:
    # Open the form with Slack answering at once: the cost measured starts at the submit.
    fake.latency = 0
    assert slack.command(user, "").status == 200
    assert app.bot.wait_idle(30)
    view = [v for v in fake.views.values() if v.get("callback_id") == "bcbot.activation"][-1]
    fake.latency = latency
    first = len(fake.calls)
    submitted = time.time()
    reply = slack.view_submission(user, h.filled_view(view, user=user, summary=f"{title}: it happened",
                                                         circumstance=circumstance))
    ack = time.time() - submitted
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    assert app.bot.wait_idle(60), "the set-up did not finish"
    calls = sorted(fake.calls[first:], key=lambda c: c.started)
    failed = [c for c in calls if c.status != 200 or c.error]
    checklist = next(c for c in calls if label(c).startswith("chat.postMessage checklist"))
    path = critical_path(calls, checklist)
    on_path = {id(c) for c in path}

    print(f"\n{title}: {len(calls)} Web API calls, ack {ack * 1000:.0f} ms, checklist posted at "
          f"{(checklist.at - submitted) * 1000:.0f} ms, all set-up done at "
          f"{(max(c.at for c in calls) - submitted) * 1000:.0f} ms after the submit")
    print(f"  {'start':>7} {'took':>6}  call   (* = on the critical path to the checklist)")
    for c in calls:
        print(f"  {(c.started - submitted) * 1000:5.0f}ms {(c.at - c.started) * 1000:4.0f}ms "
              f"{'*' if id(c) in on_path else ' '} {label(c)}{'  FAILED ' + str(c.error) if c in failed else ''}")
    waiting = sum(c.at - c.started for c in path)
    print(f"  critical path: {' -> '.join(label(c) for c in path)}")
    print(f"  {len(path)} calls on it = {waiting * 1000:.0f} ms of Slack; the bot's own work between them "
          f"{(checklist.at - submitted - waiting) * 1000:.0f} ms")
    busiest = max_overlap(calls)
    print(f"  most calls in flight at once: {busiest}; sum of all call times "
          f"{sum(c.at - c.started for c in calls) * 1000:.0f} ms")
    return {"calls": len(calls), "checklist_ms": (checklist.at - submitted) * 1000, "failed": len(failed),
            "path": len(path)}


def max_overlap(calls) -> int:
    events = sorted([(c.started, 1) for c in calls] + [(c.at, -1) for c in calls], key=lambda e: (e[0], e[1]))
    busiest = current = 0
    for _, delta in events:
        current += delta
        busiest = max(busiest, current)
    return busiest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the fake Slack takes per call")
    args = parser.parse_args()
    h.quiet()
    h.watchdog(120)
    from bot.runtime.app import create_app
    from bot.runtime.http import make_server

    fake = h.start_fake()
    with tempfile.TemporaryDirectory(prefix="bcbot-bench-") as tmp:
        app = create_app(h.settings_for(fake, Path(tmp) / "bcbot.db"))
        app.start(scheduler=False)
        assert app.bot.wait_idle(30)
        server = make_server(app, host="127.0.0.1", port=0)
        h.serve(server)
        slack = h.sender(server.effective_port, fake)
        print(f"Activation cost: a team member submits the activation form; the fake Slack answers each Web API "
              f"call in {args.latency * 1000:.0f} ms.\n{h.machine()}")
        cold = activation(app, fake, slack, h.PARKS, latency=args.latency, title="first activation after start",
                          circumstance=h.CIRCUMSTANCES[0])
        warm = activation(app, fake, slack, h.BAKER, latency=args.latency, title="second activation",
                          circumstance=h.CIRCUMSTANCES[1])
        fake.latency = 0
        server.close()
        app.stop()
    fake.stop()
    ok = not cold["failed"] and not warm["failed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
