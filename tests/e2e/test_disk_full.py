"""A full disk before the ack: the decision form stays open with its text and an error in words; once there
is space again, the same submit records once."""
from __future__ import annotations

import json

from storage import models
from tests.e2e.helpers import activate, rows
from tests.support import people
from tests.support.disk import disk_full

TEXT = "Move payroll to the backup office in Leeds"
# Long enough that its record cannot fit in what is left of a page: it needs a new one, which a full disk refuses.
RATIONALE = "The Leeds office has the spare payroll terminals and the staff trained on them. " * 36
OPTIONS = "Wait for the file server to be repaired; run payroll by hand; move to Leeds. " * 25


def decision_form(incident_id: int, view_id: str) -> dict:
    return {"id": view_id, "type": "modal", "callback_id": "bcbot.decision", "hash": "h",
            "private_metadata": json.dumps({"i": incident_id}),
            "state": {"values": {name: {"value": {"type": "plain_text_input", "value": value}}
                                 for name, value in (("decision", TEXT), ("rationale", RATIONALE),
                                                     ("options", OPTIONS))}}}


def test_a_decision_form_on_a_full_disk_stays_open_and_records_once_when_space_returns(running):
    activate(running, people.PARKS, lead=people.LEAD)
    [incident] = rows(running, models.Incident)
    form = decision_form(incident.id, "VDISKFULL1")

    with disk_full(running.bot.record_intent):
        reply = running.slack.view_submission(people.LEAD, form)
        running.settle()
    assert reply.status == 200
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors", answer  # the form stays open, with what was typed in it
    [said] = answer["errors"].values()
    assert "Not saved" in said and "no space left" in said and "try again" in said, said
    assert rows(running, models.Decision) == []
    assert [i for i in rows(running, models.Intent) if i.kind == "log_decision"] == []

    for _ in range(2):  # the person submits again; Slack retries it too
        again = running.slack.view_submission(people.LEAD, form)
        assert again.status == 200 and again.body in ("", "{}"), again.body
    running.settle()
    assert [(d.number, d.decision) for d in rows(running, models.Decision)] == [(1, TEXT)]
    posted = [m for m in running.fake.messages[incident.channel_id] if TEXT in json.dumps(m)]
    assert len(posted) == 1
