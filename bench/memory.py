"""Memory: the bot's resident set size (RSS) idle after start, and after 1,000 activations.

    .venv/bin/python bench/memory.py [--activations 1000] [--workers 4]

The bot runs in its own process, started as `bcbot serve` starts it (migrations, plan versions, the
worker process with the scheduler, waitress on 127.0.0.1) on a temporary SQLite database; this process
runs the fake Slack (answering at once) and reads RSS from /proc: the serving process's, the worker
process's, and their sum. The activations are recorded as the modal's submit records them (a
`SubmitActivation` command as an intent, then handed to the worker to run) in batches of
--workers submitted at once, each by a team member with its own circumstance (so its own channel), and
the full Slack set-up (channel, topic, invites, header, pin, announcement, checklist, DM) happens
against the fake. RSS is printed after start, along the way, and at the end after a garbage
collection in the serving process; so is the peak (VmHWM).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _harness as h


def child_main(fake_url: str, db_path: str) -> int:
    """Child process: the bot, started as `bcbot serve` does; activates on command."""
    h.quiet()
    from bot.domain.commands import RunIntent, SubmitActivation, encode
    from bot.domain.records import ActivationForm
    from bot.runtime.app import create_app
    from bot.runtime.http import make_server
    from bot.usecases.ports import utcnow
    from config.settings import load_settings

    settings = load_settings(_env_file=None, slack_bot_token=h.TOKEN, slack_signing_secret=h.SECRET,
                             slack_api_url=fake_url, database_url=f"sqlite:///{db_path}",
                             bcbot_announce_channel=h.ANNOUNCE)
    app = create_app(settings)
    app.start()  # with the scheduler, as in production
    from bot.worker.runner import freeze_startup_objects

    freeze_startup_objects()  # as `bcbot serve` does
    server = make_server(app, host="127.0.0.1", port=0)
    h.serve(server)
    bot = app.bot
    assert bot.wait_idle(60)
    plan = bot.plans.first()
    team = [h.PARKS, h.BAKER, h.HUNTON]
    done = [0]

    def one(n: int) -> None:
        form = ActivationForm(plan_id=plan.id, circumstance=f"Memory drill {n:05d}",
                              summary=f"Drill {n}: the file server is unreachable", services=(),
                              lead_user_id=team[n % 3])
        intent_id, _ = bot.record_intent(kind=SubmitActivation.kind, actor=team[n % 3], dedupe_key=f"view:VMEM{n:05d}",
                                         payload=encode(SubmitActivation(form, view_id=f"VMEM{n:05d}")), tell={},
                                         now=utcnow())
        bot.send(RunIntent(intent_id, from_intake=getattr(bot.record_intent, "intake", False)), None, False)

    def activate(count: str, workers: str) -> str:
        """`count` activations, `workers` at a time (each batch submitted at once, then finished)."""
        start, end, size, idle = done[0], done[0] + int(count), int(workers), True
        with ThreadPoolExecutor(max_workers=size) as pool:
            for batch in range(start, end, size):
                list(pool.map(one, range(batch, min(batch + size, end))))
                idle = bot.wait_idle(60) and idle
        done[0] = end
        return f"activated {done[0]} {idle}"

    def collect() -> str:
        gc.collect()  # in the serving process (the worker collects as it goes)
        return "collected"

    def incidents() -> str:
        with bot.uow() as uow:
            waiting = [s for s in uow.outbox.subjects_ready(bot.clock(), 10_000) if s.startswith("incident:")]
            return f"incidents {uow.home.count_open()} {len(waiting)}"

    print(f"port {server.effective_port}", flush=True)
    h.child_loop({"activate": activate, "gc": collect, "incidents": incidents,
                  "worker": lambda: f"worker {bot.worker.process.pid if bot.worker else 0}"})
    server.close()
    app.stop()
    os._exit(0)


class Bot(h.Child):
    """The bot's processes: serving, and its worker."""

    def rss(self, field: str = "VmRSS") -> tuple[float, float]:
        worker = int(self.ask("worker")[1])
        return self.rss_mb(field), (h.rss_mb(worker, field) if worker else 0.0)

    def line(self, field: str = "VmRSS") -> str:
        serving, worker = self.rss(field)
        return f"{serving + worker:7.1f} MB  (serving {serving:.1f} + worker {worker:.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activations", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="activations submitted at once")
    parser.add_argument("--child", nargs=2, metavar=("FAKE_URL", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(*args.child)
    h.quiet()
    h.watchdog(280)

    fake = h.start_fake()
    bot = None
    try:
        with tempfile.TemporaryDirectory(prefix="bcbot-bench-") as tmp:
            started = time.perf_counter()
            bot = Bot(__file__, fake.url, str(Path(tmp) / "bcbot.db"))
            print(f"Memory: the bot's RSS (serving and worker processes), idle and after {args.activations} activations "
                  f"({args.workers} at a time, the fake Slack answering at once).\n{h.machine()}\n")
            print(f"  started in {time.perf_counter() - started:.1f} s")
            time.sleep(1.0)
            bot.ask("gc")
            idle = sum(bot.rss())
            print(f"  idle after start: {bot.line()}")
            steps = [args.activations // 4] * 3
            steps.append(args.activations - sum(steps))
            done, t0, calls0 = 0, time.perf_counter(), len(fake.calls)
            for count in steps:
                reply = bot.ask(f"activate {count} {args.workers}")
                assert reply[0] == "activated" and reply[2] == "True", reply
                done += count
                print(f"  after {done:5d} activations: {bot.line()}")
            elapsed = time.perf_counter() - t0
            bot.ask("gc")
            after = sum(bot.rss())
            _, open_incidents, pending = bot.ask("incidents")
            print(f"  after {done:5d} activations and a gc: {bot.line()}; peaks {bot.line('VmHWM')}")
            print(f"\n  growth: {after - idle:.1f} MB in all, {(after - idle) * 1024 / max(done, 1):.1f} KB per activation")
            print(f"  {done} activations in {elapsed:.1f} s ({done / elapsed:.0f}/s), {len(fake.calls) - calls0} Web API "
                  f"calls; {open_incidents} incidents made ({done - int(open_incidents)} activations failed), "
                  f"{pending} with set-up left to the outbox job")
            bot.ask("stop")
            bot.proc.wait(60)
    finally:
        if bot is not None:
            bot.kill()
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
