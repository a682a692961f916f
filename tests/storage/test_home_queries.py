"""App Home's reads: a fixed number of SQL statements whatever the history, and correct paging."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.usecases import reads as queries
from bot.slack import home_blocks as render_home
from bot.domain.incident import IncidentState
from bot.domain.plan import load_plans
from bot.domain.records import Progress
from bot.slack.home_blocks import HomePage
from bot.usecases.ports import PlanCatalog
from config import BUNDLED_PLANS
from storage import models as m
from tests.support.seed import seed_incidents
from storage.db import counting_statements

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
PLAN = load_plans(BUNDLED_PLANS)[0]


def fake_bot(uow):
    return SimpleNamespace(uow=uow, clock=lambda: NOW, plans=PlanCatalog({PLAN.id: PLAN}),
                           settings=SimpleNamespace(timezone=ZoneInfo("Europe/London")))


def statements_per_render(engine, bot) -> tuple[int, int]:
    with counting_statements(engine) as first:
        view = queries.home(bot)
    older = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
             if e["action_id"] == "bcbot.home.older"]
    page = HomePage.from_value(json.loads(older[0]["value"])) if older else HomePage(2, (NOW, 1))
    with counting_statements(engine) as second:
        queries.home(bot, page)
    return len(first), len(second)


def test_statements_per_home_render_do_not_grow_with_the_data(engine, uow):
    bot = fake_bot(uow)
    seed_incidents(uow, PLAN, now=NOW, open=2, stood_down=3)
    small = statements_per_render(engine, bot)
    seed_incidents(uow, PLAN, now=NOW, open=48, stood_down=447, done_per_open=2)
    large = statements_per_render(engine, bot)
    assert small == large
    # count open, the open ones, their progress (one grouped query), their roll calls (one query), a page of
    # stood-down, every plan's recorded dates (one query), the listed plans' part cards (one query); plus BEGIN
    assert large[0] <= 8, large


def test_progress_counts_only_the_current_phase_of_each_open_incident(uow):
    (first, second, third), _ = seed_incidents(uow, PLAN, now=NOW, open=3, done_per_open=2)
    with uow() as u:
        u.session.execute(update(m.Incident).where(m.Incident.id == second)
                          .values(state=IncidentState.BUSINESS_CONTINUITY.value))
        u.commit()
    with uow() as u:
        progress = u.home.phase_progress([first, second, third, 999_999])
    im = len(PLAN.phase("incident_management").steps)
    bc = len(PLAN.phase("business_continuity").steps)
    assert progress == {first: Progress(2, im), second: Progress(0, bc), third: Progress(2, im)}
    with uow() as u:
        assert u.home.phase_progress([]) == {}


def test_open_incidents_newest_first_and_counted(uow):
    open_ids, _ = seed_incidents(uow, PLAN, now=NOW, open=30, stood_down=5)
    with uow() as u:
        assert u.home.count_open() == 30
        shown = u.home.open_incidents(render_home.OPEN_MAX)
    assert [i.id for i in shown] == open_ids[:render_home.OPEN_MAX]  # seeded newest first
    assert all(i.state is IncidentState.INCIDENT_MANAGEMENT for i in shown)


def test_paging_shows_every_stood_down_incident_once_most_recent_first(uow):
    _, closed = seed_incidents(uow, PLAN, now=NOW, open=1, stood_down=37, tie_every=4)
    with uow() as u:
        everything = u.home.stood_down(1000)
    expected = [i.id for i in sorted(everything, key=lambda i: (i.stood_down_at, i.id), reverse=True)]
    assert sorted(expected) == sorted(closed)

    bot, page, seen, pages = fake_bot(uow), HomePage(), [], 0
    while True:
        data = queries.home_data(bot, page)
        pages += 1
        assert data.page.number == pages and len(data.recent) <= render_home.RECENT_MAX
        seen += [item.incident.id for item in data.recent]
        if not data.has_older:
            break
        page = data.page.next(data.recent[-1].incident)
    assert seen == expected and pages == 4
    assert data.open_total == 1 and [i.incident.id for i in data.open] == [1]


def test_a_stood_down_incident_without_a_time_does_not_break_paging(uow):
    _, closed = seed_incidents(uow, PLAN, now=NOW, stood_down=12, tie_every=1)  # closed[0] is the newest
    with uow() as u:
        u.session.execute(update(m.Incident).where(m.Incident.id == closed[0]).values(stood_down_at=None))
        u.commit()
    data = queries.home_data(fake_bot(uow))
    assert closed[0] not in [i.incident.id for i in data.recent] and data.has_older
    older = queries.home_data(fake_bot(uow), data.page.next(data.recent[-1].incident))
    assert [i.incident.id for i in older.recent] == closed[11:]
