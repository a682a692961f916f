"""Slack misbehaving and the database locked: work completes once, or the person is told to try again."""
from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
from collections import Counter

from storage import models
from tests.e2e.helpers import activate, button, open_modal, outbox_tasks, rows, steps_of, submit, take_over
from tests.support import people
from tests.support.processes import wait_until


def posted_keys(fake) -> Counter:
    """Every message in the workspace, by its metadata key, or by (channel, text) when it has none (DMs,
    notices): any message posted twice, keyed or not, counts 2."""
    return Counter((m.get("metadata") or {}).get("event_payload", {}).get("key") or (channel, m.get("text"))
                   for channel, msgs in fake.messages.items() for m in msgs)


def test_bursts_of_429_and_500_still_complete_once(running):
    fake = running.fake
    for method in ("conversations.create", "conversations.invite", "chat.postMessage", "pins.add",
                   "conversations.setTopic", "chat.update", "views.open"):
        fake.fail(method, status=429, retry_after=1, times=1)
        fake.fail(method, status=500, times=1)
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    assert incident.channel_id and incident.header_ts and all(t.done_at for t in outbox_tasks(running))
    assert all(count == 1 for count in posted_keys(fake).values()), posted_keys(fake)
    assert (incident.channel_id, incident.header_ts) in fake.pins

    checklist = fake.messages[incident.channel_id][1]
    value = button(steps_of(checklist)[0][1], "bcbot.step.done")["value"]
    fake.fail("chat.update", status=429, retry_after=1, times=2)
    running.slack.block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id)
    running.settle()
    assert steps_of(fake.messages[incident.channel_id][1])[0][0].startswith("✅")
    kinds = Counter(e.kind for e in rows(running, models.IncidentLogEntry))
    assert kinds["activated"] == 1 and kinds["step_done"] == 1 and kinds["channel_created"] == 1


def test_a_failed_slack_call_is_logged_and_the_person_told(running, caplog):
    running.fake.fail("views.open", error="invalid_arguments")
    running.slack.command(people.PARKS, "")
    running.settle()
    assert "Slack views.open failed: invalid_arguments" in caplog.text
    assert any("Slack refused views.open: invalid_arguments" in r.get("text", "") for r in running.fake.responses)


def test_channel_creation_refused_tells_the_activator_and_is_retried_later(running):
    running.fake.fail("conversations.create", error="restricted_action", times=3)  # past the inline retries
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    assert incident.channel_id is None
    assert any("would not create its channel" in m["text"] for m in running.fake.messages.get("D" + people.PARKS[1:], []))
    # The outbox still holds the set-up; the next sweep finishes it.
    take_over(running)
    [incident] = rows(running, models.Incident)
    assert incident.channel_id and incident.header_ts


def locked(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def test_a_locked_database_keeps_the_form_and_activates_once_the_lock_goes(start_app, db_url, monkeypatch):
    from storage import db
    from tests.support.slack_requests import filled_view

    monkeypatch.setattr(db, "BACKGROUND_BUSY_TIMEOUT_MS", 300)  # the worker's wait for the lock, short in a test
    running = start_app()
    view = open_modal(running, people.PARKS)
    lock = locked(db_url.removeprefix("sqlite:///"))
    try:
        status = running.slack.command(people.PARKS, "status")
        assert status.status == 200 and status.elapsed < 3.0
        # A read takes no write lock (WAL): /activate status still answers from the last committed state.
        assert "No open incidents" in status.json()["text"]
        filled = filled_view(view, circumstance="Loss of critical systems", summary="Power cut", lead=people.PARKS,
                             services=[])
        reply = running.slack.view_submission(people.PARKS, filled)  # the intake took it: the form closes
        assert reply.status == 200 and reply.elapsed < 3.0 and "errors" not in reply.body
        try:
            urllib.request.urlopen(running.url + "/healthz", timeout=5)
            raise AssertionError("healthz should be 503 while the database is locked")
        except urllib.error.HTTPError as err:
            assert err.code == 503
    finally:
        lock.rollback()
        lock.close()
    # The worker's attempt during the lock waited and gave up; the sweep (once its pause is over) runs it.
    assert wait_until(lambda: take_over(running) or len(rows(running, models.Incident)) == 1, timeout=20)
    reply = running.slack.view_submission(people.PARKS, filled)  # the same form again (a replay): recorded once
    running.settle()
    assert reply.status == 200 and len(rows(running, models.Incident)) == 1


def test_a_form_the_intake_cannot_take_answers_try_again_in_time_and_writes_nothing(running, db_url):
    view = open_modal(running, people.PARKS)
    lock = locked(db_url.removeprefix("sqlite:///") + "-intake")
    try:
        reply = submit(running, people.PARKS, view)
        assert reply.elapsed < 3.0 and "try again" in json.dumps(reply.json())  # a field error: the form stays
    finally:
        lock.rollback()
        lock.close()
    running.settle()
    assert rows(running, models.ActivationRequest) == []  # nothing half-written
    reply = submit(running, people.PARKS, view)  # the same form, once the intake is free
    running.settle()
    assert reply.status == 200 and len(rows(running, models.Incident)) == 1


def test_a_5xx_after_slack_posted_is_not_posted_again(running):
    # Slack may answer 500 having already posted: the post is looked for, not sent blindly again.
    running.fake.fail("chat.postMessage", status=500, after_work=True, times=2)
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    assert incident.header_ts and all(t.done_at for t in outbox_tasks(running))
    keys = posted_keys(running.fake)
    assert keys["BC-1:header"] == 1 and all(n == 1 for n in keys.values()), keys


def test_an_activation_recorded_before_a_crash_is_run_by_the_next_sweep(start_app):
    from tests.support.requests import recorded_activation

    # The ack recorded the form's submission; the process died before the worker ran it.
    running, clock, intent_id = recorded_activation(start_app, requested_by=people.PARKS, view_id="Vcrash",
                                                    summary="Power cut")
    assert rows(running, models.Incident) == []
    take_over(running)
    [request] = rows(running, models.ActivationRequest)
    [incident] = rows(running, models.Incident)
    assert incident.activation_request_id == request.id and incident.channel_id and request.view_id == "Vcrash"
    take_over(running)  # nothing twice
    assert len(rows(running, models.Incident)) == 1
    assert len(running.fake.calls_to("conversations.create")) == 1


def test_a_phase_change_that_slack_refuses_is_finished_later_not_lost(running):
    activate(running, people.PARKS, lead=people.LEAD)
    [incident] = rows(running, models.Incident)
    header = next(m for m in running.fake.messages[incident.channel_id] if m["ts"] == incident.header_ts)
    advance = next(e for b in header["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == "bcbot.incident.advance")
    running.fake.fail("chat.postMessage", error="fatal_error", times=3)  # the notice, and both inline retries
    running.slack.block_action(people.LEAD, "bcbot.incident.advance", advance["value"], channel=incident.channel_id)
    running.settle()
    assert rows(running, models.Incident)[0].state == "business_continuity"
    assert not posted_keys(running.fake).get("BC-1:phase:business_continuity")  # owed, not lost
    take_over(running)
    keys = posted_keys(running.fake)
    assert keys["BC-1:phase:business_continuity"] == 1 and keys["BC-1:checklist:business_continuity:1"] == 1
    assert "Business continuity" in running.fake.channels[incident.channel_id].topic


def test_a_channel_whose_creation_reply_was_lost_is_adopted_not_doubled(running):
    # Slack created the channel but the reply was lost (a 500 after the work): the retry finds it.
    running.fake.fail("conversations.create", status=500, after_work=True)
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    incident_channels = [c for c in running.fake.channels.values() if re.match(r"bc-[0-9]", c.name)]
    assert [c.id for c in incident_channels] == [incident.channel_id]  # no orphan "-2" channel
    assert incident.channel_name == "bc-1-critical-systems" and incident.header_ts
