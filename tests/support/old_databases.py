"""Databases as earlier commits of main made them: that commit's own migration files, then representative rows.

The files come from tests/storage/history (written from git by its build.py), so no git is needed here.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, insert, select, text

from tests.support import people

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "tests" / "storage" / "history"
PLAN = "wunderroot-bcp"
THEN = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
CIRCUMSTANCE = "Loss of critical systems"


def states() -> list[dict]:
    return json.loads((HISTORY / "states.json").read_text())


def build(url: str, state: dict) -> None:
    """The schema `state`'s commit made, by its own migration files, stamped as it stamped it."""
    with tempfile.TemporaryDirectory() as tmp:
        scripts = Path(tmp)
        shutil.copy(ROOT / "storage" / "migrations" / "env.py", scripts)
        shutil.copy(ROOT / "storage" / "migrations" / "script.py.mako", scripts)
        (scripts / "versions").mkdir()
        for name, blob in state["versions"].items():
            shutil.copy(HISTORY / "versions" / f"{blob}-{name}", scripts / "versions" / name)
        cfg = Config()
        cfg.set_main_option("script_location", str(scripts))
        # A plain engine: SQLite's foreign keys are off, as storage.migrate has them while batch mode copies tables.
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
        finally:
            engine.dispose()


def rows(state: dict) -> dict[str, list[dict]]:
    """What a bot of that time would have stored: a plan version, an open incident with steps, log entries and
    two decisions, set-up work done, the plan's governance with a review, a test and a reminder claim, an intent
    and an outbox task. Each table's rows carry only the columns `state` has (see `seed`)."""
    snapshot = (HISTORY / "snapshots" / f"{state['snapshot']}.json").read_text().strip()
    steps = json.loads(snapshot)["phases"][0]["steps"]
    return {
        "plan_versions": [dict(id=1, plan_key=PLAN, content_hash="0" * 64, title="Wunderroot Business Continuity Plan",
                               snapshot=snapshot, source="config/plans", created_at=THEN)],
        "activation_requests": [dict(id=1, view_id="VOLD00001", plan_version_id=1, requested_by=people.BAKER,
                                     circumstance=CIRCUMSTANCE, summary="The old file server died", services=[],
                                     lead_user_id=people.LEAD, is_exercise=False, status="approved",
                                     decided_by=people.PARKS, decided_at=THEN, approval_messages=[], created_at=THEN)],
        "incidents": [dict(id=1, plan_version_id=1, activation_request_id=1, plan_key=PLAN, is_exercise=False,
                           circumstance=CIRCUMSTANCE, summary="The old file server died", services=[],
                           lead_user_id=people.LEAD, activated_by=people.BAKER, approved_by=people.PARKS,
                           state="incident_management", channel_id="COLD00001",
                           channel_name="bc-2026-11-20-loss-of-critical-systems", header_ts="1763629200.000100",
                           announce_ts=None, activated_at=THEN, phase_started_at=THEN, stood_down_at=None,
                           decisions_count=2)],
        "checklist_steps": [dict(id=n, incident_id=1, phase="incident_management", position=n, title=step["title"],
                                 owner_role=None, due_within_minutes=None, status="done" if n == 1 else "open",
                                 changed_by=people.LEAD if n == 1 else None, changed_at=THEN if n == 1 else None,
                                 assignee=None, note=None, na_reason=None)
                            for n, step in enumerate(steps[:3], start=1)],
        "checklist_messages": [dict(id=1, incident_id=1, phase="incident_management", page=0, channel_id="COLD00001",
                                    ts="1763629200.000200")],
        "incident_log": [dict(id=1, incident_id=1, at=THEN, actor=people.PARKS, kind="activated",
                              summary=f"Plan activated: {CIRCUMSTANCE}", data={"requested_by": people.BAKER}),
                         dict(id=2, incident_id=1, at=THEN, actor=people.LEAD, kind="step_done",
                              summary=f"Done: {steps[0]['title']}", data={"step_id": 1})],
        "decisions": [dict(id=n, incident_id=1, number=n, decision=f"Old decision {n}", rationale="Because",
                           options=None, decided_by=people.LEAD, logged_by=people.LEAD, corrects=None,
                           source_link=None, at=THEN) for n in (1, 2)],
        "processed_events": [dict(event_id="EvOLD0001", received_at=THEN)],
        "slack_tasks": [dict(id=n, incident_id=1, task=task, attempts=1, claimed_until=None, last_error=None,
                             result={"channel_id": "COLD00001"} if task == "create_channel" else {},
                             created_at=THEN, done_at=THEN)
                        for n, task in enumerate(("create_channel", "post_header"), start=1)],
        "plan_governance": [dict(plan_key=PLAN, next_review=date(2027, 11, 15), next_test=date(2029, 1, 1),
                                 file_review_next=date(2027, 11, 15), file_test_next=date(2029, 1, 1),
                                 last_review_at=THEN, last_review_by=people.PARKS, unresolved_owners=[],
                                 updated_at=THEN)],
        "plan_reviews": [dict(id=1, plan_key=PLAN, reviewed_at=THEN, reviewed_by=people.PARKS,
                              was_due_on=date(2026, 11, 15), next_review=date(2027, 11, 15), after_incident=None)],
        "plan_tests": [dict(id=1, plan_key=PLAN, test_type="tabletop", held_on=date(2026, 10, 1),
                            recorded_by=people.PARKS, recorded_at=THEN, notes="Walked through", incident_id=None,
                            report={})],
        "reminder_claims": [dict(id=1, plan_key=PLAN, kind="review", due_on=date(2026, 11, 15), stage=-7,
                                 recipient=people.PARKS, status="sent", attempts=1, claimed_at=THEN, sent_at=THEN,
                                 channel_id="DSPARKS01", ts="1763000000.000100", last_error=None)],
        "intents": [dict(id=1, kind="log_decision", actor=people.LEAD, payload={"incident_id": 1},
                         dedupe_key="view:VOLD00002", tell={"user_id": people.LEAD}, status="done", attempts=1,
                         claimed_until=None, outcome=None, created_at=THEN, done_at=THEN)],
        "outbox": [dict(id=1, subject="incident:1", name="post_decision:2", kind="post_decision", args={"number": 2},
                        depends_on=None, attempts=1, armed=1, claimed_by=None, claimed_version=None,
                        claimed_until=None, not_before=None, last_error=None, result={"ts": "1763629200.000300"},
                        created_at=THEN, done_at=THEN)],
    }


def seed(url: str, state: dict) -> dict[str, list[dict]]:
    """Insert `rows(state)` into the tables the database has, with the columns they have; return what went in."""
    engine = create_engine(url)
    inserted: dict[str, list[dict]] = {}
    try:
        with engine.begin() as conn:
            meta = MetaData()
            meta.reflect(conn)
            for name, wanted in rows(state).items():
                table = meta.tables.get(name)
                if table is None:
                    continue
                kept = [{k: _stored(v, conn.dialect.name) for k, v in row.items() if k in table.c} for row in wanted]
                conn.execute(insert(table), kept)
                if conn.dialect.name == "postgresql" and "id" in table.c:
                    # The rows give their IDs; a bot's own inserts would have moved the sequence past them.
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
                inserted[name] = [{k: v for k, v in row.items() if k in table.c} for row in wanted]
    finally:
        engine.dispose()
    return inserted


def read(url: str, table_name: str) -> list[dict]:
    """Every row of a table, by primary key, with datetimes made timezone-aware UTC."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn, only=[table_name])
            table = meta.tables[table_name]
            found = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            return [{k: _aware(v) for k, v in row.items()} for row in found]
    finally:
        engine.dispose()


def _stored(value, dialect: str):
    # Through a reflected table, SQLite's DATETIME takes naive UTC (as bcbot's UtcDateTime stores it).
    if isinstance(value, datetime) and dialect == "sqlite":
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _aware(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value
