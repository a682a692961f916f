"""A checklist click while SQLite is locked. The ack path writes only the intake (storage/intake.py):
with the main database locked behind a long transaction, the click is kept and done once the lock goes;
only when the intake itself cannot be written is the person told to try again, with nothing half-written."""
from __future__ import annotations

import sqlite3

from storage import db, models
from tests.e2e.helpers import activate, channel_messages, rows, take_over
from tests.support import people
from tests.support.processes import wait_until


def first_step_click(running, incident):
    """"Mark done" on the first step, as one click: each call sends the same `action_ts` (a second call is
    Slack delivering the same click again)."""
    _header, page = channel_messages(running, incident.channel_id)
    step_id = next(s.id for s in rows(running, models.ChecklistStep) if s.phase == "incident_management" and s.position == 1)
    return lambda **kw: click(running, incident, '{"s":%d}' % step_id, page["ts"], **kw)


def click(running, incident, value: str, message_ts: str, *, settle: bool = True):
    reply = running.slack.block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id,
                                       message_ts=message_ts, action_ts="1700000099.000001")
    assert reply.status == 200 and reply.elapsed < 3.0
    if settle:
        running.settle(30)


def locked(path: str) -> sqlite3.Connection:
    lock = sqlite3.connect(path, isolation_level=None, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    return lock


def done_by(running) -> list[str]:
    return [e.actor for e in rows(running, models.IncidentLogEntry) if e.kind == "step_done"]


def test_a_click_while_the_database_is_locked_is_kept_and_done_once_the_lock_goes(start_app, db_url, monkeypatch):
    # Background work waits 15 s for SQLite's lock in production; a test need not wait that long.
    monkeypatch.setattr(db, "BACKGROUND_BUSY_TIMEOUT_MS", 300)
    running = start_app()
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    click_first_step = first_step_click(running, incident)

    lock = locked(db_url.removeprefix("sqlite:///"))
    try:
        click_first_step(settle=False)  # acked at once: the intake took it
    finally:
        lock.rollback()
        lock.close()
    # The worker's attempt during the lock waited and gave up; the sweep (once its pause is over) runs it.
    assert wait_until(lambda: take_over(running) or done_by(running) == [people.BAKER], timeout=20)
    running.settle(30)
    told = [r["text"] for r in running.fake.responses]
    assert not any("try again" in t or "no longer exists" in t for t in told), told

    click_first_step()  # the same click delivered again: done once
    assert done_by(running) == [people.BAKER]


def test_a_click_the_intake_cannot_take_says_try_again_and_records_nothing(start_app, db_url):
    running = start_app()
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    click_first_step = first_step_click(running, incident)

    lock = locked(db_url.removeprefix("sqlite:///") + "-intake")
    try:
        click_first_step()
    finally:
        lock.rollback()
        lock.close()
    told = [r["text"] for r in running.fake.responses]
    assert any("try again" in t for t in told), told
    assert done_by(running) == []
    assert all(s.status == "open" for s in rows(running, models.ChecklistStep) if s.phase == "incident_management")

    click_first_step()  # the same click, once the intake is free
    assert done_by(running) == [people.BAKER]
