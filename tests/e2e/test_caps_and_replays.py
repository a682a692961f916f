"""Every free-text input has a cap of its own, checked by bcbot whatever a form's max_length let through: over
it, the form stays open with a field error naming the limit and nothing is recorded. A slash command and a
message shortcut that Slack (or an attacker) delivers twice have one effect."""
from __future__ import annotations

import json

import pytest

from bot.slack.ids import OTHER_VALUE, Callback
from storage import models
from tests.e2e.helpers import activate, channel_messages, open_modal, rows, submit
from tests.support import people
from tests.support.slack_requests import TEAM_ID

HUGE = "<!channel> " + "x" * 100_000


@pytest.fixture
def incident(running):
    activate(running, people.PARKS, lead=people.LEAD)
    [row] = rows(running, models.Incident)
    return running, row


def recorded(running) -> tuple[int, ...]:
    """What a submission could have recorded: intents, decisions, log entries, tests."""
    return tuple(len(rows(running, m)) for m in (models.Intent, models.Decision, models.IncidentLogEntry,
                                                 models.PlanTest, models.ActivationRequest))


def text(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


FORMS = {  # callback, private metadata, valid values; then each capped field and its limit
    "decision": (Callback.DECISION, "i", {"decision": text("Go"), "rationale": text("Why"), "options": text("A, B"),
                                          "decided_by": {"type": "users_select", "selected_user": people.LEAD}},
                 {"decision": 3000, "rationale": 3000, "options": 3000}),
    "update": (Callback.STATUS_UPDATE, "i", {"situation": text("Stable"), "actions": text("Restoring"),
                                             "next_update": {"type": "static_select", "selected_option": {"value": "60"}}},
               {"situation": 3000, "actions": 3000}),
    "step note": (Callback.STEP_NOTE, "s", {"text": text("Done by phone")}, {"text": 3000}),
    "not applicable": (Callback.STEP_NA, "s", {"text": text("No office")}, {"text": 500}),
    "stand-down": (Callback.STAND_DOWN, "i", {"text": text("All clear"), "objectives_met": text("Yes"),
                                              "what_worked": text("Calls"), "gaps": text("None"),
                                              "follow_ups": text("None")},
                   {"text": 3000, "objectives_met": 3000, "what_worked": 3000, "gaps": 3000, "follow_ups": 3000}),
    "record test": (Callback.RECORD_TEST, "plan", {
        "test_type": {"type": "static_select", "selected_option": {"value": "tabletop"}},
        "test_date": {"type": "datepicker", "selected_date": "2020-01-01"}, "test_notes": text("Fine")},
        {"test_notes": 3000}),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_an_oversized_field_of_any_form_gets_a_field_error_naming_its_limit_and_nothing_is_recorded(incident, form):
    running, row = incident
    callback, key, valid, capped = FORMS[form]
    steps = sorted((s for s in rows(running, models.ChecklistStep)), key=lambda s: s.id)
    meta = {"i": row.id, "s": steps[0].id, "plan": "wunderroot-bcp"}[key]
    for n, (field, limit) in enumerate(capped.items()):
        before = recorded(running)
        values = valid | {field: text(HUGE)}
        view = {"id": f"VCAP{form.replace(' ', '')}{n}", "type": "modal", "callback_id": callback, "hash": "h",
                "private_metadata": json.dumps({key: meta}), "state": {"values": {k: {"value": v} for k, v in values.items()}}}
        reply = running.slack.view_submission(people.LEAD, view)
        running.settle()
        assert reply.status == 200 and reply.json()["response_action"] == "errors", reply.body
        assert reply.json()["errors"] == {field: f"Keep it under {limit:,} characters."}
        assert recorded(running) == before, f"{form}: {field} over its limit was recorded"


def test_a_100000_character_decision_is_refused_naming_the_limit_and_not_stored(incident):
    running, row = incident
    posts = len(channel_messages(running, row.channel_id))
    reply = running.slack.command(people.LEAD, f"decision {HUGE}", channel=row.channel_id)
    running.settle()
    assert reply.status == 200 and "Keep it under 3,000 characters." in reply.json()["text"]
    assert rows(running, models.Decision) == [] and len(channel_messages(running, row.channel_id)) == posts


def test_oversized_activation_fields_are_refused_with_field_errors(running):
    view = open_modal(running, people.OUTSIDER)
    before = recorded(running)
    reply = submit(running, people.OUTSIDER, view, circumstance=OTHER_VALUE, other="x" * 76, summary=HUGE)
    assert reply.json()["errors"] == {"other": "Keep it under 75 characters.",
                                      "summary": "Keep it under 3,000 characters."}
    assert recorded(running) == before


def test_a_replayed_decision_command_records_and_posts_once(incident):
    running, row = incident
    for _ in range(2):  # the same request twice: the same trigger ID
        reply = running.slack.command(people.LEAD, "decision Evacuate the office", channel=row.channel_id,
                                      trigger_id="trigger-replayed")
        assert reply.status == 200
        running.settle()
    [decision] = rows(running, models.Decision)
    assert decision.decision == "Evacuate the office"
    assert len([m for m in channel_messages(running, row.channel_id) if "Evacuate the office" in m["text"]]) == 1


def test_a_replayed_message_shortcut_records_and_posts_once(incident):
    running, row = incident
    said = running.bot.slack.post(row.channel_id, text="We tell clients at noon")
    shortcut = {"type": "message_action", "callback_id": Callback.SHORTCUT_LOG_DECISION, "team": {"id": TEAM_ID},
                "user": {"id": people.LEAD, "team_id": TEAM_ID}, "channel": {"id": row.channel_id},
                "message": {"ts": said, "text": "We tell clients at noon", "user": people.HUNTON},
                "trigger_id": "trigger-shortcut-replayed", "response_url": running.fake.response_url + "s"}
    for _ in range(2):
        assert running.slack.interactive(shortcut).status == 200
        running.settle()
    [decision] = rows(running, models.Decision)
    assert decision.decided_by == people.HUNTON
    assert len([m for m in channel_messages(running, row.channel_id) if m["text"].startswith("D1 ")]) == 1


def test_a_quoted_message_longer_than_a_decision_is_cut_with_a_mark(incident):
    """A message is Slack's to size (up to 40,000 characters): logged as a decision, the record is cut."""
    running, row = incident
    said = running.bot.slack.post(row.channel_id, text="long")
    shortcut = {"type": "message_action", "callback_id": Callback.SHORTCUT_LOG_DECISION, "team": {"id": TEAM_ID},
                "user": {"id": people.LEAD, "team_id": TEAM_ID}, "channel": {"id": row.channel_id},
                "message": {"ts": said, "text": "y" * 39_000, "user": people.HUNTON},
                "trigger_id": "trigger-long", "response_url": running.fake.response_url + "s"}
    assert running.slack.interactive(shortcut).status == 200
    running.settle()
    [decision] = rows(running, models.Decision)
    assert len(decision.decision) == 3000 and decision.decision.endswith("… (truncated)")
