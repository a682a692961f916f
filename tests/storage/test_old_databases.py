"""A database made at each earlier commit of main that added or changed a migration, on SQLite and PostgreSQL:
`bcbot db upgrade` brings it to the current schema with its rows intact, and the bot then activates, reminds
and reports on it.

Each database is made by that commit's own migration files (tests/storage/history), with rows a bot of that
time would have stored, including the two that broke: the edited 0003 (no reminder columns: every reminder
sweep failed) and the work-in-progress 0005 (intents and outbox stamped 0005: "table intents already exists").
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.report import build_report, render_markdown
from bot.worker import reminders
from storage import models
from storage.db import make_engine
from storage.migrate import check, head_revision
from tests.e2e.helpers import activate, channel_messages, rows
from tests.support import old_databases, people
from tests.support.clock import FakeClock
from tests.support.plans import write_plan
from tests.support.postgres import postgres_schema_url

STATES = old_databases.states()
# PostgreSQL runs the states that broke (SQLite runs them all): the edited 0001, the edited 0003, the WIP 0005.
ON_POSTGRES = {"73f7db4", "384de46", "4f255ad"}
CASES = [pytest.param("sqlite", s, id=f"sqlite-{s['commit']}") for s in STATES] + [
    pytest.param("postgresql", s, id=f"postgresql-{s['commit']}") for s in STATES if s["commit"] in ON_POSTGRES]
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def old_db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
    else:
        yield from postgres_schema_url()


def db_upgrade(url: str, cwd) -> subprocess.CompletedProcess:
    """`bcbot db upgrade`, as a person runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-m", "bot.tools.cli", "db", "upgrade"], capture_output=True, text=True,
                          env=env | {"DATABASE_URL": url}, cwd=cwd, timeout=60)


def aware(row: dict) -> dict:
    return {k: v.astimezone(timezone.utc) if isinstance(v, datetime) else v for k, v in row.items()}


@pytest.mark.parametrize(("old_db_url", "state"), CASES, indirect=["old_db_url"])
def test_an_old_database_upgrades_with_its_rows_then_activates_reminds_and_reports(old_db_url, state, start_app,
                                                                                   tmp_path):
    old_databases.build(old_db_url, state)
    seeded = old_databases.seed(old_db_url, state)

    upgraded = db_upgrade(old_db_url, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    assert f"database at revision {head_revision()}" in upgraded.stdout
    engine = make_engine(old_db_url)
    try:
        check(engine)  # the schema is the one the models describe: no table, column, index or constraint differs
    finally:
        engine.dispose()
    for table, wanted in seeded.items():
        if table == "slack_tasks":  # the old outbox: 0006 carries it over
            continue
        found = old_databases.read(old_db_url, table)
        assert len(found) == len(wanted), table
        assert [{k: row[k] for k in want} for row, want in zip(found, wanted, strict=True)] == [aware(w) for w in wanted], table
    [incident] = old_databases.read(old_db_url, "incidents")
    assert incident["decisions_count"] == len(seeded.get("decisions", []))  # the next decision is numbered after
    if "slack_tasks" in seeded:
        carried = {r["name"]: r for r in old_databases.read(old_db_url, "outbox")}
        assert carried["create_channel"]["result"] == {"channel_id": "COLD00001"} and carried["post_header"]["done_at"]

    plans = write_plan(tmp_path / "plans", review=date(2027, 11, 15), test=date(2029, 1, 1))
    running = start_app(clock=FakeClock(datetime(2027, 11, 10, 10, tzinfo=timezone.utc)), database_url=old_db_url,
                        bcbot_plans=plans, bcbot_timezone="Europe/London", bcbot_reminder_hour=9)
    running.settle()  # the start-up reminder sweep
    for owner in (people.PARKS, people.HUNTON):
        [reminder] = channel_messages(running, "D" + owner[1:])
        assert "due in 5 days" in reminder["text"] + str(reminder["blocks"])
    assert reminders.sweep(running.bot).sent == 0  # and not twice

    activate(running, people.PARKS)
    incidents = sorted(rows(running, models.Incident), key=lambda i: i.id)
    assert [i.id for i in incidents] == [1, 2] and incidents[1].channel_id is not None
    assert incidents[0].summary == "The old file server died"

    old = render_markdown(build_report(running.bot.uow, "BC-1", tz=LONDON))
    assert "Loss of critical systems" in old and "The old file server died" in old
    assert ("Old decision 2" in old) == ("decisions" in seeded)
    new = render_markdown(build_report(running.bot.uow, "BC-2", tz=LONDON))
    assert "The file server died at 09:00" in new
