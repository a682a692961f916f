"""Slack Connect: someone from another organisation in a channel shared with ours sends requests whose
`team` is our workspace but whose `user.team_id` is theirs. They are refused like any other workspace,
with an explanation, and leave nothing behind but a log line."""
from __future__ import annotations

import json
import logging

from storage import models
from tests.e2e.helpers import activate, button, channel_messages, open_modal, rows, steps_of
from tests.support import people
from tests.support.slack_requests import TEAM_ID, filled_view

GUEST, GUEST_TEAM = "U0GUEST001", "T0PARTNER"


def as_guest(payload: dict) -> dict:
    """The payload as Slack sends it for a guest from another organisation in a shared channel."""
    return {**payload, "team": {"id": TEAM_ID, "domain": "test"}, "is_ext_shared_channel": True,
            "user": {"id": GUEST, "username": "guest", "team_id": GUEST_TEAM}}


def test_a_guest_from_another_organisation_cannot_tick_off_steps(running, caplog):
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    _header, page = channel_messages(running, incident.channel_id)
    _, actions = steps_of(page)[0]
    payload = as_guest({"type": "block_actions", "api_app_id": "A0BCBOT", "trigger_id": "t-guest",
                        "actions": [{"action_id": "bcbot.step.done", "block_id": "b", "type": "button",
                                     "value": button(actions, "bcbot.step.done")["value"], "action_ts": "1.0"}],
                        "channel": {"id": incident.channel_id, "name": "x"},
                        "container": {"type": "message", "message_ts": page["ts"], "channel_id": incident.channel_id},
                        "message": {"ts": page["ts"], "text": ""},
                        "response_url": running.fake.response_url + "act-guest"})
    with caplog.at_level(logging.WARNING, logger="bcbot"):
        reply = running.slack.interactive(payload)
        running.settle()
    assert reply.status == 200
    assert any("another Slack workspace" in r["text"] for r in running.fake.responses)
    assert not [e for e in rows(running, models.IncidentLogEntry) if e.kind == "step_done"]
    assert any("another workspace" in r.getMessage() and GUEST_TEAM in r.getMessage() for r in caplog.records)


def test_a_guest_from_another_organisation_cannot_request_activation(running):
    view = open_modal(running, people.PARKS)
    filled = filled_view(view, circumstance="Loss of critical systems", summary="Not yours", lead=people.PARKS,
                         view_id="VGUEST1")
    reply = running.slack.interactive(as_guest({"type": "view_submission", "api_app_id": "A0BCBOT",
                                                "trigger_id": "t-guest-2", "view": filled}))
    running.settle()
    assert reply.status == 200 and "another Slack workspace" in json.dumps(reply.json())
    assert rows(running, models.ActivationRequest) == []
