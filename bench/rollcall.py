"""A 500-person roll call against the fake Slack enforcing Slack's per-method rate limits.

    .venv/bin/python bench/rollcall.py [--people 500]

The bot runs as `bcbot serve` would (waitress, a worker process, the periodic sweep) on a temporary SQLite
database. A team member activates with Run a roll call; the plan names the example plan's people plus enough
`roll_call.staff` to make `--people`. The fake answers calls over Slack's limits (chat.postMessage ~1/s per
channel and 600/min per workspace, chat.update 50/min) with 429 and Retry-After. The script prints: how long
until every DM was posted (each counted: sent once?), how many 429s the bot met, then each person clicks
I'm safe (16 at a time) and it prints the acks' latencies, the time until the tally said everyone answered,
and the smallest gap between two edits of the tally.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _harness as h
import yaml


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500)
    args = parser.parse_args()
    h.quiet()
    h.watchdog(280)
    print(h.machine())
    from bot.runtime.app import create_app
    from bot.runtime.http import make_server
    from bot.tools.fakeslack.ratelimits import Budget, slack_like
    from config.settings import load_settings
    from tests.support.plans import plan_data

    fake = h.start_fake()
    named = 4  # the example plan's owners and team: Parks, Hunton, Baker ... plus Outsider below
    staff = [f"U0R{n:07d}" for n in range(args.people - named)]
    for user in staff:
        fake.add_user(user, f"Staff {user[-4:]}")
    everyone = [h.PARKS, h.HUNTON, h.BAKER, h.OUTSIDER, *staff][:args.people]
    with tempfile.TemporaryDirectory() as tmp:
        plans = Path(tmp) / "plans"
        plans.mkdir()
        data = plan_data(roll_call={"staff": [{"name": "Olive Outsider", "slack": h.OUTSIDER}]
                                    + [{"name": f"Staff {u[-4:]}", "slack": u} for u in staff],
                                    "remind_after": "15m", "escalate_after": "30m"})
        (plans / "plan.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        settings = load_settings(_env_file=None, slack_bot_token=h.TOKEN, slack_signing_secret=h.SECRET,
                                 slack_api_url=fake.url, database_url=f"sqlite:///{tmp}/bcbot.db",
                                 bcbot_announce_channel=h.ANNOUNCE, bcbot_plans=plans)
        app = create_app(settings)
        app.start(scheduler=True)
        server = make_server(app, host="127.0.0.1", port=0)
        h.serve(server)
        slack = h.sender(server.effective_port, fake)
        time.sleep(1.0)
        # Slack's limits; the workspace's chat.postMessage at the low end of 'several hundred a minute'.
        fake.enforce_rate_limits(slack_like(post_per_workspace=Budget(300, 60.0)))

        slack.command(h.PARKS, "")
        deadline = time.time() + 20
        while not [v for v in fake.views if v.startswith("V")] and time.time() < deadline:
            time.sleep(0.05)
        view = fake.views[max(v for v in fake.views if v.startswith("V"))]
        filled = h.filled_view(view, user=h.PARKS)
        filled["state"]["values"]["roll_call"] = {"value": {"type": "radio_buttons", "selected_option": {"value": "yes"}}}
        started = time.time()
        reply = slack.view_submission(h.PARKS, filled)
        assert reply.status == 200, reply.body

        def asked(user: str) -> list[dict]:
            return [m for m in fake.messages.get("D" + user[1:], []) if "are you safe?" in m.get("text", "")]

        while time.time() < started + 180 and not all(asked(u) for u in everyone):
            time.sleep(0.25)
        # The roll call's own DMs (its key): the plan's role holders also get a DM of their steps.
        posts = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") in set(everyone)
                 and ":rollcall:" in str(((c.params.get("metadata") or {}).get("event_payload") or {}).get("key"))]
        per_person = Counter(c.params["channel"] for c in posts)
        last_dm = max((c.at for c in posts), default=started) - started
        print(f"people asked: {len(per_person)} of {len(everyone)}; DMs per person: "
              f"{sorted(Counter(per_person.values()).items())} (count: people); conversations.open: "
              f"{len(fake.calls_to('conversations.open'))}")
        print(f"every DM posted {last_dm:.1f} s after the submit (target: within 120 s); "
              f"429s answered by the fake: {fake.rate_limits.refused if fake.rate_limits else 0}")

        def click(user: str) -> float:
            message = asked(user)[0]
            button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                          if e["action_id"].endswith(".safe"))
            t0 = time.perf_counter()
            answer = slack.block_action(user, button["action_id"], button["value"], channel="D" + user[1:])
            took = time.perf_counter() - t0
            assert answer.status == 200, answer.body
            return took

        clicked = time.time()
        with ThreadPoolExecutor(16) as pool:
            acks = list(pool.map(click, [u for u in everyone if asked(u)]))
        s = h.summary([a * 1000 for a in acks])
        print(f"clicks: {s['n']} acks, p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, p99 {s['p99']:.1f} ms, "
              f"max {s['max']:.1f} ms; over 3 s: {sum(1 for a in acks if a >= 3)}")

        from sqlalchemy import func, select

        from storage import models
        with app.bot.uow(read_only=True) as uow:
            channel = uow.session.scalar(select(models.Incident.channel_id))

        def tally() -> str:
            return next((m["text"] for m in fake.messages.get(channel, []) if m.get("text", "").startswith("Roll call")), "")

        while time.time() < clicked + 120 and f"{len(acks)} safe" not in tally():
            time.sleep(0.25)
        print(f"tally said everyone answered {time.time() - clicked:.1f} s after the first click: {tally()!r}")
        if f"{len(acks)} safe" not in tally():  # say what is still waiting
            with app.bot.uow(read_only=True) as uow:
                left = uow.session.execute(select(models.OutboxTask.name, models.OutboxTask.attempts,
                                                  models.OutboxTask.last_error, models.OutboxTask.not_before)
                                           .where(models.OutboxTask.done_at.is_(None)).limit(8)).all()
                intents = Counter(uow.session.scalars(select(models.Intent.status)))
                answered = uow.session.scalar(select(func.count()).where(models.RollCallPerson.answer.is_not(None)))
            print(f"  unfinished tasks: {left}\n  intents: {dict(intents)}; answers recorded: {answered}")
        edits = sorted(c.at for c in fake.calls_to("chat.update") if c.params.get("channel") == channel)
        gaps = [b - a for a, b in zip(edits, edits[1:], strict=False)]
        print(f"tally edits: {len(edits)}; smallest gap between two: {min(gaps) if gaps else float('nan'):.2f} s "
              f"(target: at least 2 s)")
        print(json.dumps({"people": len(everyone), "dms_within_s": round(last_dm, 1),
                          "dms_sent_once": all(n == 1 for n in per_person.values()),
                          "ack_p99_ms": round(s["p99"], 1), "ack_max_ms": round(s["max"], 1),
                          "min_edit_gap_s": round(min(gaps), 2) if gaps else None}))
        server.close()
        app.stop()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
