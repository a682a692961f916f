"""Scale: the reminder sweep and App Home with 10,000 plans (2 owners each) and 100,000 stood-down
incidents in the database.

    .venv/bin/python bench/scale.py [--plans 10000] [--stood-down 100000] [--db-url URL]

The database (a temporary SQLite file unless --db-url names an empty one, e.g. PostgreSQL on
127.0.0.1) is filled fast with bulk inserts (SQLAlchemy Core on the storage.models tables), in two
steps: first a small history (1% of the plans and incidents), then the full one, measuring the same
things after each, so the SQL statement counts show whether they grow with the data.

  * Reminder sweep (bot.worker.reminders.sweep), the worst steady state: every plan's review and test are
    due today and every reminder has already gone out, so each sweep (every 5 minutes) reads all the
    due plans and sends nothing. Also timed: the first sweep after the reminders went out, which checks
    every reminder's claims once (the sweep that sent them did not record them as dealt with).
  * App Home (bot.queries.home: the database reads and the Block Kit view, without the Slack call),
    page 1 and the oldest page of stood-down incidents, with the view's size against Slack's limits.

Targets (issue 5): sweep under 0.5 s, App Home under 100 ms, within Slack's block limits, and a
number of SQL statements that does not grow with the data. The Slack Web API is the fake on loopback
(nothing should be sent).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import _harness as h

from storage.db import counting_statements  # noqa: E402  (after _harness puts the repo on sys.path)

SECOND_OWNER = "U0OWNER002"


def catalog(count: int, due):
    """`count` copies of the bundled plan, two owners each (by Slack ID), review and test due on `due`."""
    from bot.domain.plan import load_plans
    from bot.usecases.ports import PlanCatalog
    from config import BUNDLED_PLANS

    base = load_plans(BUNDLED_PLANS)[0]
    owners = [base.owners[0].model_copy(update={"slack": h.PARKS, "email": None}),
              base.owners[0].model_copy(update={"slack": SECOND_OWNER, "name": "Second Owner", "email": None})]
    plans = {}
    for n in range(count):
        plan = base.model_copy(update={
            "id": f"plan-{n:05d}", "title": f"{base.title} #{n}", "owners": owners,
            "review": base.review.model_copy(update={"next": due}),
            "testing": base.testing.model_copy(update={"next": due})})
        plans[plan.id] = plan
    return PlanCatalog(plans)


def make_bot(engine, fake, plans, now):
    from bot.bcbot import Bcbot
    from bot.slack.api import SlackApi, make_client
    from bot.usecases.ports import Directory
    from bot.worker.runner import Background
    from config.settings import load_settings
    from storage.db import make_session_factory
    from storage.repositories.intents import IntentWriter
    from storage.uow import uow_factory

    settings = load_settings(_env_file=None, slack_bot_token=h.TOKEN, slack_api_url=fake.url,
                             database_url=str(engine.url), bcbot_reminder_hour=9, bcbot_timezone="UTC")
    slack = SlackApi(make_client(token=h.TOKEN, base_url=fake.url))
    return Bcbot(settings=settings, plans=plans, uow=uow_factory(make_session_factory(engine)), slack=slack,
                 directory=Directory(slack.lookup_email), background=Background(1), healthy=lambda: True,
                 record_intent=IntentWriter(engine), clock=lambda: now)


def seed_incidents(engine, bot, *, first_id: int, stood_down: int, open_: int, now, batch: int = 20_000) -> int:
    """Bulk insert requests and incidents (stood down an hour apart, newest first), and the open
    incidents' checklists. Returns the next free ID."""
    from sqlalchemy import insert

    from storage import models as m

    plan = bot.plans.first()
    keys = list(bot.plans.plans)
    with bot.uow() as uow:
        version = uow.plans.version_id(plan, source="bench", now=now)
        uow.commit()

    def incident(i: int, closed: bool) -> dict:
        n = i - first_id
        down = now - timedelta(hours=1 + n) if closed else None
        activated = (down - timedelta(hours=5)) if closed else now - timedelta(minutes=1 + n)
        return {"id": i, "plan_version_id": version, "activation_request_id": i, "plan_key": keys[i % len(keys)],
                "is_exercise": i % 7 == 3, "circumstance": "Loss of critical systems", "summary": f"Seeded {i}",
                "services": [], "lead_user_id": h.LEAD, "activated_by": h.PARKS, "approved_by": None,
                "state": "stood_down" if closed else "incident_management", "channel_id": f"C{i:08d}",
                "channel_name": f"bc-seeded-{i}", "activated_at": activated, "phase_started_at": activated,
                "stood_down_at": down, "closing_summary": "Seeded" if closed else None}

    rows = [incident(i, True) for i in range(first_id, first_id + stood_down)]
    rows += [incident(i, False) for i in range(first_id + stood_down, first_id + stood_down + open_)]
    with engine.begin() as conn:
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            conn.execute(insert(m.ActivationRequest), [
                {"id": r["id"], "view_id": None, "plan_version_id": version, "requested_by": r["activated_by"],
                 "circumstance": r["circumstance"], "summary": r["summary"], "services": [],
                 "lead_user_id": r["lead_user_id"], "is_exercise": r["is_exercise"], "status": "activated",
                 "created_at": r["activated_at"], "approval_messages": []} for r in chunk])
            conn.execute(insert(m.Incident), chunk)
        steps = [{"incident_id": r["id"], "phase": phase.key.value, "position": p, "title": step.title,
                  "owner_role": step.owner_role, "due_within_minutes": step.due_within_minutes,
                  "status": "done" if p <= 2 and phase.key.value == r["state"] else "open"}
                 for r in rows if r["state"] != "stood_down"
                 for phase in plan.phases for p, step in enumerate(phase.steps, start=1)]
        if steps:
            conn.execute(insert(m.ChecklistStep), steps)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return first_id + stood_down + open_


def reminders_already_sent(bot, due) -> None:
    """Every owner has had today's review and test reminder (stage 0), as if an earlier sweep sent them."""
    from bot.domain.reminders import Kind, ReminderKey

    keys = [ReminderKey(plan, kind, due, 0, owner) for plan in bot.plans.plans
            for kind in (Kind.REVIEW, Kind.TEST) for owner in (h.PARKS, SECOND_OWNER)]
    with bot.uow() as uow:
        uow.reminders.cover(keys, bot.clock())
        uow.commit()


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def figures(times: list[float]) -> str:
    s = h.summary(times)
    return f"median {statistics.median(times) * 1000:6.1f} ms, p95 {s['p95'] * 1000:6.1f}, max {s['max'] * 1000:6.1f}"


def view_size(view: dict) -> tuple[int, int, int]:
    texts = [b["text"]["text"] for b in view["blocks"] if b.get("type") == "section" and b.get("text")]
    texts += [f["text"] for b in view["blocks"] for f in b.get("fields", [])]
    return len(view["blocks"]), max(map(len, texts), default=0), len(json.dumps(view))


def measure(engine, fake, bot, label: str, *, incidents: int, sweeps: int, renders: int) -> dict:
    from bot.slack.home_blocks import HomePage
    from bot.usecases import reads as queries
    from bot.worker import reminders as governance

    calls = len(fake.calls)
    out: dict = {}
    print(f"\n{label}: {len(bot.plans.plans):,} plans (2 owners each, review and test due today, reminders already "
          f"sent), {incidents:,} stood-down incidents")
    with counting_statements(engine) as statements:
        started = time.perf_counter()
        first = governance.sweep(bot)
        first_time = time.perf_counter() - started
    print(f"  first sweep after the reminders went out: {first_time * 1000:7.1f} ms, {len(statements)} SQL statements "
          f"({first.due:,} reminder stages due, {first.sent} sent)")
    out["first_sweep"], out["first_sweep_sql"] = first_time, len(statements)
    with counting_statements(engine) as statements:
        result = governance.sweep(bot)
    times = timed(lambda: governance.sweep(bot), sweeps)
    out["sweep"], out["sweep_sql"] = max(times), len(statements)
    print(f"  reminder sweep (steady state, {sweeps} runs): {figures(times)}; {len(statements)} SQL statements; "
          f"{result.due:,} due, {result.sent} sent")

    with bot.uow() as uow:
        page = uow.home.stood_down(incidents, before=None)
    oldest = page[-2] if len(page) > 1 else page[-1]
    pages = [("page1", "page 1", None),
             ("oldest", f"oldest page ({incidents // 10:,})",
              HomePage(number=incidents // 10, before=(oldest.stood_down_at, oldest.id)))]
    for key, name, home_page in pages:
        queries.home(bot, home_page)  # warm
        with counting_statements(engine) as statements:
            view = queries.home(bot, home_page)
        times = timed(lambda: queries.home(bot, home_page), renders)
        blocks, longest, size = view_size(view)
        out[f"home {key}"], out[f"home {key} sql"] = statistics.median(times), len(statements)
        out.setdefault("home_max", 0.0)
        out["home_max"] = max(out["home_max"], h.percentile(times, 95))
        out["blocks_ok"] = out.get("blocks_ok", True) and blocks <= 100 and longest <= 3000
        print(f"  App Home {name:>20} ({renders} renders): {figures(times)}; {len(statements)} SQL statements; "
              f"{blocks} blocks (limit 100), longest text {longest} chars (limit 3000), {size:,} bytes")
    out["slack_calls"] = len(fake.calls) - calls
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--stood-down", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10, help="open incidents (with checklists) too")
    parser.add_argument("--sweeps", type=int, default=10)
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--db-url", help="an empty database; default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    h.quiet()
    h.watchdog(280)
    from bot.worker.runner import freeze_startup_objects
    from storage.db import make_engine
    from storage.migrate import upgrade

    now = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    folder = tempfile.TemporaryDirectory(prefix="bcbot-bench-")
    url = args.db_url or f"sqlite:///{folder.name}/scale.db"
    engine = make_engine(url)
    upgrade(engine)
    fake = h.start_fake()
    fake.add_user(SECOND_OWNER, "Second Owner")
    print(f"Scale: reminder sweep and App Home on {engine.dialect.name}.\n{h.machine()}")
    results = []
    try:
        next_id, seeded = 1, 0
        for share in (0.01, 1.0):
            plans = catalog(max(1, int(args.plans * share)), now.date())
            bot = make_bot(engine, fake, plans, now)
            freeze_startup_objects()  # as `bcbot serve` does once the bot is up
            target = max(1, int(args.stood_down * share))
            started = time.perf_counter()
            next_id = seed_incidents(engine, bot, first_id=next_id, stood_down=target - seeded,
                                     open_=args.open if seeded == 0 else 0, now=now - timedelta(hours=seeded))
            seeded = target
            from bot.worker import reminders as governance

            governance.sync_plans(bot)
            reminders_already_sent(bot, now.date())
            print(f"\n(seeded in {time.perf_counter() - started:.1f} s)")
            results.append(measure(engine, fake, bot, f"{'small' if share < 1 else 'full'} history", incidents=seeded,
                                   sweeps=args.sweeps, renders=args.renders))
            bot.background.shutdown()
    finally:
        fake.stop()
        engine.dispose()
        folder.cleanup()

    small, full = results
    same_sql = all(small[k] == full[k] for k in small if k.endswith("sql"))
    ok = (max(full["sweep"], full["first_sweep"]) < 0.5 and full["home_max"] < 0.1 and full["blocks_ok"] and same_sql
          and not full["slack_calls"])
    print(f"\ntargets: sweep < 0.5 s (worst {full['sweep'] * 1000:.0f} ms, the first after the reminders went out "
          f"{full['first_sweep'] * 1000:.0f} ms), App Home < 100 ms "
          f"(p95 {full['home_max'] * 1000:.0f} ms), within block limits ({'yes' if full['blocks_ok'] else 'NO'}), "
          f"SQL statements the same small and full ({'yes' if same_sql else 'NO'}), nothing sent to Slack "
          f"({'yes' if not full['slack_calls'] else 'NO'}): {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
