"""The listeners, called as Bolt calls them (`App.dispatch` with a request signed as Slack signs it, no HTTP
server): each acks in the shape Slack expects and records the typed command of what the person asked, once."""
from __future__ import annotations

import json
import time

import pytest
from slack_bolt.request import BoltRequest

from bot.tools.fakeslack.sender import Reply, SlackSender, sign
from storage import models
from tests.e2e.helpers import activate, button, channel_messages, rows, steps_of
from tests.support import people
from tests.support.secrets import SIGNING_SECRET


class Dispatcher(SlackSender):
    """Builds each request as SlackSender does, then hands it to the Bolt app directly."""

    def __init__(self, running):
        super().__init__(running.url, SIGNING_SECRET, running.fake.response_url)
        self.bolt = running.app.bolt

    def post(self, body: str, content_type: str, **_) -> Reply:
        timestamp = str(int(time.time()))
        response = self.bolt.dispatch(BoltRequest(body=body, headers={
            "content-type": content_type, "x-slack-request-timestamp": timestamp,
            "x-slack-signature": sign(self.secret, timestamp, body)}))
        return Reply(response.status, response.body, 0.0)


@pytest.fixture
def checklist(running):
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    _header, page = channel_messages(running, incident.channel_id)
    step_text, actions = steps_of(page)[0]
    return running, incident, page, button(actions, "bcbot.step.done")["value"]


def intents(running) -> list[tuple[str, str | None, dict]]:
    return [(i.kind, i.actor, i.payload) for i in rows(running, models.Intent)]


def test_a_step_click_acks_at_once_and_records_the_step_command(checklist):
    running, incident, page, value = checklist
    before = intents(running)
    reply = Dispatcher(running).block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id,
                                             message_ts=page["ts"], action_ts="1733475600.000001")
    assert (reply.status, reply.body) == (200, "")
    running.settle()
    [added] = intents(running)[len(before):]
    assert added == ("set_step", people.BAKER, {"step_id": json.loads(value)["s"], "status": "done", "reason": None})


def test_a_click_slack_delivers_twice_is_recorded_once(checklist):
    running, incident, page, value = checklist
    slack = Dispatcher(running)
    before = len(intents(running))
    for _ in range(2):
        reply = slack.block_action(people.BAKER, "bcbot.step.done", value, channel=incident.channel_id,
                                   message_ts=page["ts"], action_ts="1733475600.000002")
        assert reply.status == 200
    running.settle()
    assert len(intents(running)) == before + 1


def test_a_click_whose_value_is_not_bcbots_records_nothing(checklist):
    running, incident, page, _value = checklist
    before = intents(running)
    reply = Dispatcher(running).block_action(people.BAKER, "bcbot.step.done", "<!channel> not json",
                                             channel=incident.channel_id, message_ts=page["ts"])
    assert reply.status == 200
    running.settle()
    assert intents(running) == before


def test_activate_status_is_answered_in_the_ack_and_records_nothing(checklist):
    running, incident, _page, _value = checklist
    before = intents(running)
    reply = Dispatcher(running).command(people.BAKER, "status")
    assert reply.status == 200 and f"BC-{incident.id}" in reply.body
    assert intents(running) == before
