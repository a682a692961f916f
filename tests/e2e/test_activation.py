"""/activate end to end: signed requests in, Web API calls to the fake Slack and the database out."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from storage import models
from tests.e2e.helpers import activate, button, channel_messages, open_modal, outbox_tasks, rows, steps_of, submit
from tests.support import people
from tests.support.slack_requests import filled_view


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def test_team_member_activates_the_plan(running):
    activate(running, people.PARKS, lead=people.LEAD)

    [incident] = rows(running, models.Incident)
    assert incident.state == "incident_management" and incident.activated_by == people.PARKS
    channel = running.fake.channels[incident.channel_id]
    assert channel.name == "bc-1-critical-systems" and not channel.is_private
    assert "BC-1" in channel.topic
    # The team (one of them found by email), the owners and the lead are in the channel.
    assert {people.PARKS, people.HUNTON, people.BAKER, people.LEAD} <= channel.members

    header, *checklist = channel_messages(running, incident.channel_id)
    assert (incident.channel_id, header["ts"]) in running.fake.pins
    header_text = str(header["blocks"])
    for expected in ("BC-1", "Wunderroot Business Continuity Plan", "Loss of critical systems", f"<@{people.LEAD}>",
                     "Incident management", "Active", f"<@{people.PARKS}>", "wr-phone-directory"):
        assert expected in header_text, expected
    [page] = checklist
    steps = steps_of(page)
    assert len(steps) == 7 and "Confirm everyone is safe" in steps[0][0]
    assert all(button(actions, "bcbot.step.done") for _, actions in steps)

    [announcement] = channel_messages(running, people.ANNOUNCE)
    assert "BC-1" in announcement["text"] and f"<#{incident.channel_id}>" in announcement["text"]

    [entry] = [e for e in rows(running, models.IncidentLogEntry) if e.kind == "activated"]
    assert entry.actor == people.PARKS and entry.data["plan_version"] == rows(running, models.PlanVersion)[0].content_hash
    assert all(t.done_at is not None for t in outbox_tasks(running))


def test_taken_channel_name_gets_a_suffix(running):
    running.fake.add_channel("C0TAKEN", "bc-1-critical-systems")
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    assert incident.id == 1 and re.fullmatch(r"bc-1-critical-systems-[0-9a-f]{5}", incident.channel_name)


def test_thirty_incidents_of_one_circumstance_on_one_day_each_get_a_channel(running):
    """The n-th incident of a name does not try n names: one conversations.create call each, two for the
    one whose name a person took beforehand (the fake answers name_taken as Slack does)."""
    view = open_modal(running, people.PARKS)
    running.fake.add_channel("C0TAKEN", "bc-7-critical-systems")
    for n in range(30):
        filled = filled_view(view, circumstance="Loss of critical systems", summary=f"Outage {n}",
                             lead=people.PARKS, services=["Project management and delivery"], view_id=f"V0BURST{n}")
        assert running.slack.view_submission(people.PARKS, filled).status == 200
    running.settle(timeout=60)

    incidents = rows(running, models.Incident)
    assert len(incidents) == 30
    names = [i.channel_name for i in incidents]
    assert None not in names and len(set(names)) == 30
    assert {running.fake.channels[i.channel_id].name for i in incidents} == set(names)
    creates = [c for c in running.fake.calls if c.method == "conversations.create"]
    assert len(creates) <= 31, len(creates)
    # One incident takes the plain name, the rest one more call each, and BC-7 one more for the person's.
    seventh = next(i for i in incidents if i.id == 7)
    assert seventh.channel_id != "C0TAKEN" and seventh.channel_name.startswith("bc-7-critical-systems-")


def test_invalid_input_gets_field_errors_and_records_nothing(running):
    view = open_modal(running, people.PARKS)
    reply = submit(running, people.PARKS, view, circumstance="__other__", summary=" ", other=None)
    assert reply.status == 200
    errors = reply.json()
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"other", "summary"}
    assert rows(running, models.ActivationRequest) == []


def test_double_submit_creates_one_incident(running):
    view = open_modal(running, people.PARKS)
    submit(running, people.PARKS, view)
    submit(running, people.PARKS, view)
    assert len(rows(running, models.Incident)) == 1
    assert len(running.fake.calls_to("conversations.create")) == 1


def test_user_text_is_escaped_everywhere_it_is_posted(running):
    activate(running, people.PARKS, summary="<!channel> see <https://evil.example|here> & panic")
    [incident] = rows(running, models.Incident)
    posted = str([m["blocks"] for m in channel_messages(running, incident.channel_id)])
    assert "<!channel>" not in posted and "<https://evil" not in posted
    assert "&lt;!channel&gt; see &lt;https://evil.example|here&gt; &amp; panic" in posted
    assert incident.summary.startswith("<!channel>")  # stored as typed, escaped only for Slack


def test_other_circumstance_names_the_channel(running):
    activate(running, people.PARKS, circumstance="__other__", other="Flooded basement!")
    [incident] = rows(running, models.Incident)
    assert incident.circumstance == "Flooded basement!"
    assert incident.channel_name == f"bc-{incident.id}-flooded-basement"
