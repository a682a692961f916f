"""Confidential incidents end to end: a private channel named only by its reference, and nothing of it
shown outside its people (the announcement, App Home and `/activate status` say only "BC-n activated")."""
from __future__ import annotations

import json
import uuid

import yaml

from bot.domain.commands import StandDown
from storage import models
from tests.e2e.helpers import activate, open_modal, rows, run_intent, submit
from tests.support import people
from tests.support.plans import BUNDLED, write_plan

SUMMARY = "Dana is in hospital with pneumonia"


def _home(running, user: str) -> str:
    reply = running.slack.event({"type": "app_home_opened", "user": user, "tab": "home"},
                                event_id=f"Ev{uuid.uuid4().hex[:12]}")
    assert reply.status == 200
    running.settle()
    return json.dumps(running.fake.views[f"home-{user}"]["blocks"], ensure_ascii=False)


def _status(running, user: str) -> str:
    reply = running.slack.command(user, "status")
    assert reply.status == 200
    return reply.json()["text"]


def _announcement(running) -> str:
    [message] = running.fake.messages[people.ANNOUNCE]
    return message["text"] + json.dumps(message.get("blocks"), ensure_ascii=False)


def _plan_with(tmp_path, **activation) -> str:
    base = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))["activation"]
    return str(write_plan(tmp_path / "plans", activation={**base, **activation}))


def test_a_confidential_incident_has_a_private_channel_and_shows_only_its_reference_to_others(running):
    activate(running, people.PARKS, lead=people.LEAD, summary=SUMMARY, confidential=True)
    [incident] = rows(running, models.Incident)
    assert incident.confidential
    channel = running.fake.channels[incident.channel_id]
    assert channel.is_private and channel.name == "bc-1" and incident.channel_name == "bc-1"
    assert people.OUTSIDER not in channel.members and {people.PARKS, people.HUNTON, people.LEAD} <= channel.members
    # Slack shows a private channel to nobody outside it: bcbot's channel is not in the public list.
    assert "bc-1" not in [c.name for c in running.fake.channels.values() if not c.is_private]

    announced = _announcement(running)
    assert "BC-1" in announced and "activated" in announced
    for secret in (SUMMARY, "critical systems", incident.channel_id, "<#", "Wunderroot", people.LEAD):
        assert secret.lower() not in announced.lower(), secret

    outsider_home, outsider_status = _home(running, people.OUTSIDER), _status(running, people.OUTSIDER)
    for shown in (outsider_home, outsider_status):
        assert "BC-1* activated" in shown
        for secret in ("critical systems", incident.channel_id, people.LEAD):
            assert secret.lower() not in shown.lower(), (secret, shown)
    assert "Wunderroot" not in outsider_status  # App Home lists the plans themselves to everyone
    # Its people (the lead; the team, found by email too) see it whole.
    for member in (people.LEAD, people.HUNTON):
        assert "Loss of critical systems" in _status(running, member)
        assert "Loss of critical systems" in _home(running, member) and incident.channel_id in _home(running, member)


def test_the_announcement_stays_bare_when_the_incident_changes(running):
    activate(running, people.PARKS, confidential=True)
    [incident] = rows(running, models.Incident)
    run_intent(running, StandDown(incident_id=incident.id, closing_summary="All well again"), people.PARKS)
    edited = _announcement(running)
    assert "BC-1" in edited and "stood down" in edited and "critical" not in edited.lower()


def test_a_public_incident_is_named_shortly_and_shown_to_everyone(running):
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    channel = running.fake.channels[incident.channel_id]
    assert not incident.confidential and not channel.is_private and channel.name == "bc-1-critical-systems"
    assert "Loss of critical systems" in _announcement(running)
    assert "Loss of critical systems" in _status(running, people.OUTSIDER)


def test_the_plan_can_make_confidential_the_default(start_app, tmp_path):
    running = start_app(bcbot_plans=_plan_with(tmp_path, confidential=True))
    view = open_modal(running, people.PARKS)
    [box] = [b for b in view["blocks"] if b.get("block_id") == "confidential"]
    assert box["element"]["initial_options"][0]["value"] == "confidential"
    submit(running, people.PARKS, view)  # left ticked
    [incident] = rows(running, models.Incident)
    assert incident.confidential and running.fake.channels[incident.channel_id].is_private


def test_a_circumstance_can_require_confidential_and_name_its_channels(start_app, tmp_path):
    running = start_app(bcbot_plans=_plan_with(tmp_path, circumstances=[
        {"name": "Loss of key staff or skills (e.g. illness)", "confidential": True},
        {"name": "Loss of critical systems", "short": "systems"}]))
    view = open_modal(running, people.PARKS)
    [box] = [b for b in view["blocks"] if b.get("block_id") == "confidential"]
    assert "Loss of key staff" in box["hint"]["text"] and "initial_options" not in box["element"]
    submit(running, people.PARKS, view, circumstance="Loss of key staff or skills (e.g. illness)", confidential=False)
    submit(running, people.PARKS, open_modal(running, people.PARKS), circumstance="Loss of critical systems")
    first, second = sorted(rows(running, models.Incident), key=lambda i: i.id)
    assert first.confidential and first.channel_name == "bc-1" and running.fake.channels[first.channel_id].is_private
    assert not second.confidential and second.channel_name == "bc-2-systems"


def test_its_roll_call_dms_name_only_its_reference(running):
    activate(running, people.PARKS, confidential=True, roll_call="yes")
    asks = [m for c, msgs in running.fake.messages.items() if c.startswith("D") for m in msgs
            if "Roll call for" in m.get("text", "")]
    assert asks, "no roll-call DM was sent"
    for message in asks:
        shown = message["text"] + json.dumps(message.get("blocks"), ensure_ascii=False)
        assert "BC-1" in shown and "Wunderroot" not in shown and "critical" not in shown.lower(), shown
