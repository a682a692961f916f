"""A checklist click while the database is locked: the person is told to try again, and nothing of
the click is half-written (not "that step no longer exists", and not a lost click recorded as done)."""
from __future__ import annotations

import sqlite3

from storage import db, models
from tests.e2e.helpers import activate, button, channel_messages, rows, steps_of
from tests.support import people


def click_first_step(running, incident):
    _header, page = channel_messages(running, incident.channel_id)
    _, actions = steps_of(page)[0]
    value = button(actions, "bcbot.step.done")["value"]
    reply = running.slack.block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id,
                                       message_ts=page["ts"])
    assert reply.status == 200 and reply.elapsed < 3.0
    running.settle(30)


def test_a_click_on_a_locked_database_says_try_again_and_records_nothing(start_app, db_url, monkeypatch):
    # Background work waits 15 s for SQLite's lock in production; a test need not wait that long.
    monkeypatch.setattr(db, "BACKGROUND_BUSY_TIMEOUT_MS", 300)
    running = start_app()
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)

    lock = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        click_first_step(running, incident)
    finally:
        lock.rollback()
        lock.close()

    told = [r["text"] for r in running.fake.responses]
    assert any("try again" in t for t in told), told
    assert not any("no longer exists" in t for t in told), told
    assert not [e for e in rows(running, models.IncidentLogEntry) if e.kind == "step_done"]
    assert all(s.status == "open" for s in rows(running, models.ChecklistStep) if s.phase == "incident_management")

    click_first_step(running, incident)  # the same click, once the database is back
    assert [e.actor for e in rows(running, models.IncidentLogEntry) if e.kind == "step_done"] == [people.BAKER]
