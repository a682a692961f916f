"""The HTTP surface: request verification, health, commands, retries, slow Slack."""
from __future__ import annotations

import json
import time

from storage import models
from tests.e2e.helpers import activate, button, rows, steps_of
from tests.support import people


def test_bad_signature_is_rejected(running):
    reply = running.slack.command(people.PARKS, "status", secret="not-the-secret")
    assert reply.status == 401


def test_stale_timestamp_is_rejected(running):
    reply = running.slack.command(people.PARKS, "status", timestamp=int(time.time()) - 10 * 60)
    assert reply.status == 401


def test_healthz_reports_the_database(running):
    import urllib.request

    with urllib.request.urlopen(running.url + "/healthz") as r:
        assert r.status == 200 and json.loads(r.read())["database"] == "ok"
    running.app.engine.dispose()
    running.bot.healthy = lambda: False  # as when the database is unreachable
    try:
        urllib.request.urlopen(running.url + "/healthz")
        raise AssertionError("expected 503")
    except urllib.error.HTTPError as err:
        assert err.code == 503 and json.loads(err.read())["status"] == "unavailable"


def test_healthz_fails_on_a_database_without_a_column_the_code_needs(start_app, db_url):
    """At the latest migration, but a column is gone (dropped by hand, or an edited migration): 503, saying what."""
    import sqlite3
    import urllib.request

    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        conn.execute("ALTER TABLE plan_governance DROP COLUMN review_reminded_for")
    conn.close()
    running = start_app()
    try:
        urllib.request.urlopen(running.url + "/healthz")
        raise AssertionError("expected 503")
    except urllib.error.HTTPError as err:
        assert err.code == 503
        body = json.loads(err.read())
    assert body["status"] == "unavailable"
    assert "lacks column plan_governance.review_reminded_for" in body["database"]
    assert "restore the database from a backup" in body["database"]


def test_help_status_and_unknown_subcommands(running):
    assert "/activate status" in running.slack.command(people.OUTSIDER, "help").json()["text"]
    assert "No open incidents" in running.slack.command(people.OUTSIDER, "status").json()["text"]
    unknown = running.slack.command(people.OUTSIDER, "frobnicate <!here>").json()["text"]
    assert "I don't know `frobnicate`" in unknown and "/activate status" in unknown
    activate(running, people.PARKS)
    status = running.slack.command(people.OUTSIDER, "status").json()
    assert "BC-1" in status["text"] and "Loss of critical systems" in status["text"]
    assert status.get("response_type", "ephemeral") == "ephemeral"


def test_ack_is_fast_when_slack_is_slow(running):
    running.fake.latency = 2.5
    reply = running.slack.command(people.PARKS, "")
    assert reply.status == 200 and reply.elapsed < 1.0
    running.fake.latency = 0
    running.settle()


def test_expired_trigger_tells_the_person(running):
    running.fake.fail("views.open", error="expired_trigger_id")
    running.slack.command(people.PARKS, "")
    running.settle()
    assert any("run /activate again" in r.get("text", "") for r in running.fake.responses)


def test_rate_limits_are_retried(running):
    running.fake.fail("conversations.create", status=429, retry_after=1)
    running.fake.fail("chat.postMessage", status=500, times=2)
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    assert incident.channel_id and incident.header_ts
    assert len(running.fake.calls_to("conversations.create")) == 1


def test_retried_event_does_its_work_once(running):
    event = {"type": "app_home_opened", "user": people.OUTSIDER, "channel": "D0X", "tab": "home"}
    first = running.slack.event(event, event_id="Ev0001")
    retry = running.slack.event(event, event_id="Ev0001", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status == retry.status == 200
    running.settle()
    assert len(running.fake.calls_to("views.publish")) == 1


def test_request_from_another_workspace_is_refused(running):
    reply = running.slack.command(people.PARKS, "status", team="T0OTHER")
    assert "another Slack workspace" in reply.body
    assert rows(running, models.ActivationRequest) == []


def test_checklist_step_done_and_reopened_in_place(running):
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    checklist = running.fake.messages[incident.channel_id][1]
    _, actions = steps_of(checklist)[0]
    value = button(actions, "bcbot.step.done")["value"]
    running.slack.block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id, message_ts=checklist["ts"])
    running.slack.block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id, message_ts=checklist["ts"])
    running.settle()
    updated = running.fake.messages[incident.channel_id][1]
    assert updated["ts"] == checklist["ts"]  # the same message, updated in place
    text, actions = steps_of(updated)[0]
    assert text.startswith("✅") and f"<@{people.BAKER}>" in text
    assert button(actions, "bcbot.step.reopen")
    assert "1/7 done" in updated["blocks"][0]["text"]["text"]
    done_entries = [e for e in rows(running, models.IncidentLogEntry) if e.kind == "step_done"]
    assert len(done_entries) == 1  # the double click logged once

    running.slack.block_action(people.BAKER, "bcbot.step.reopen", value, channel=incident.channel_id, message_ts=checklist["ts"])
    running.settle()
    reopened = running.fake.messages[incident.channel_id][1]
    assert steps_of(reopened)[0][0].startswith("⬜") and "0/7 done" in reopened["blocks"][0]["text"]["text"]
    assert [e.kind for e in rows(running, models.IncidentLogEntry)].count("step_reopened") == 1
