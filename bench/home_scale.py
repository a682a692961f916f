"""App Home at scale (issue 5, benchmark 3): with 100,000 stood-down incidents and 10,000 plans, how long does
rendering the home take, how many SQL statements does it run, and does it stay within Slack's limits?

    .venv/bin/python bench/home_scale.py                      # SQLite in a temporary folder
    .venv/bin/python bench/home_scale.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/home_scale.py --stood-down 100000 --plans 10000 --renders 200 --steps

It renders the home the way the bot does (`bot.usecases.reads.home`: the database reads and the Block Kit),
without the Slack call, page 1 and a deep page of older incidents, and prints median, p95 and max.
Target: under 100 ms, a fixed number of statements, at most 100 blocks and 3,000 characters a section.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.usecases import reads as queries  # noqa: E402
from bot.domain.plan import load_plans  # noqa: E402
from bot.slack.home_blocks import HomePage  # noqa: E402
from bot.usecases.ports import PlanCatalog  # noqa: E402
from config import BUNDLED_PLANS  # noqa: E402
from storage.db import counting_statements, make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import uow_factory  # noqa: E402
from tests.support.seed import seed_incidents  # noqa: E402

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def many_plans(count: int) -> PlanCatalog:
    """`count` plans, two owners each, review and test dates spread over two years (some overdue)."""
    base = load_plans(BUNDLED_PLANS)[0]
    plans = {}
    for n in range(count):
        review = NOW.date() + timedelta(days=(n * 7) % 730 - 30)
        plan = base.model_copy(update={
            "id": f"plan-{n:05d}" if n else base.id, "title": f"{base.title} #{n}" if n else base.title,
            "owners": base.owners[:2],
            "review": base.review.model_copy(update={"next": review}),
            "testing": base.testing.model_copy(update={"next": review + timedelta(days=90)}),
        })
        plans[plan.id] = plan
    return PlanCatalog(plans)


def timed(fn, renders: int) -> list[float]:
    fn()  # warm the caches once
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered):6.1f} ms · p95 {p95:6.1f} ms · max {ordered[-1]:6.1f} ms"


def limits(view: dict) -> str:
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    return (f"{len(view['blocks'])} blocks (limit 100) · longest section {max(map(len, sections))} chars (limit 3000) · "
            f"{len(json.dumps(view)):,} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--stood-down", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=25)
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=100)
    parser.add_argument("--steps", action="store_true", help="also give every stood-down incident its checklist rows")
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory()
    url = args.db_url or f"sqlite:///{folder.name}/home.db"
    engine = make_engine(url)
    upgrade(engine)
    uow = uow_factory(make_session_factory(engine))
    catalog = many_plans(args.plans)
    bot = SimpleNamespace(uow=uow, clock=lambda: NOW, plans=catalog, settings=SimpleNamespace(timezone=ZoneInfo("Europe/London")))

    started = time.perf_counter()
    seed_incidents(uow, catalog.first(), now=NOW, open=args.open, stood_down=args.stood_down, done_per_open=3,
                   steps_for_stood_down=args.steps)
    if url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"{engine.dialect.name}: seeded {args.open} open and {args.stood_down:,} stood-down incidents"
          f"{' with checklists' if args.steps else ''}, {args.plans:,} plans, in {time.perf_counter() - started:.1f} s")

    with uow() as u:
        oldest = u.home.stood_down(1, before=None)[0]
        deep = u.home.stood_down(args.stood_down, before=None)[-2] if args.stood_down > 1 else oldest
    deep_page = HomePage(number=args.stood_down // 10, before=(deep.stood_down_at, deep.id))

    for label, page in (("page 1", None), (f"page {deep_page.number:,} (oldest)", deep_page)):
        with counting_statements(engine) as statements:
            view = queries.home(bot, page)
        times = timed(lambda: queries.home(bot, page), args.renders)
        print(f"home {label:>20}: {figures(times)} · {len(statements)} SQL statements · {limits(view)}")

    db_times = timed(lambda: queries.home_data(bot), args.renders)
    plan_times = timed(lambda: queries.plan_cards(bot, NOW.date()), args.renders)
    print(f"of which: home_data (SQL + plan cards) {figures(db_times)}; plan cards alone {figures(plan_times)}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
