"""Someone outside the team raises the alarm; the team approves or declines."""
from __future__ import annotations

import json
import threading

from storage import models
from tests.e2e.helpers import open_modal, rows, submit
from tests.support import people

TEAM = {people.PARKS, people.HUNTON, people.BAKER}


def raise_request(running):
    view = open_modal(running, people.OUTSIDER)
    reply = submit(running, people.OUTSIDER, view, summary="Office flooded, no power")
    assert reply.status == 200
    [request] = rows(running, models.ActivationRequest)
    return request


def dms_to(fake, user):
    channel = "D" + user[1:]
    return fake.messages.get(channel, [])


def test_outsider_request_goes_to_the_team_not_activated(running):
    request = raise_request(running)
    assert request.status == "pending"
    assert rows(running, models.Incident) == []
    for member in TEAM:
        [dm] = dms_to(running.fake, member)
        actions = dm["blocks"][-1]["elements"]
        assert [a["action_id"] for a in actions] == ["bcbot.request.approve", "bcbot.request.decline"]
        assert "Office flooded" in dm["blocks"][0]["text"]["text"]
    [told] = dms_to(running.fake, people.OUTSIDER)
    assert "not on the Business Continuity Team" in told["text"]


def test_first_approval_activates_crediting_both(running):
    request = raise_request(running)
    reply = running.slack.block_action(people.BAKER, "bcbot.request.approve", json.dumps({"r": request.id}))
    assert reply.status == 200
    running.settle()
    [incident] = rows(running, models.Incident)
    assert incident.activated_by == people.OUTSIDER and incident.approved_by == people.BAKER
    header = running.fake.messages[incident.channel_id][0]
    assert f"requested by <@{people.OUTSIDER}>, approved by <@{people.BAKER}>" in str(header["blocks"])
    assert people.OUTSIDER in running.fake.channels[incident.channel_id].members
    # Every team member's request DM now says who approved it, and links the incident's channel once it exists.
    for member in TEAM:
        decided = str(dms_to(running.fake, member)[0]["blocks"])
        assert "Approved by" in decided and f"<#{incident.channel_id}>" in decided, decided
        assert "not created yet" not in decided and "being opened" not in decided


def test_two_members_approving_at_once_activate_once(running):
    request = raise_request(running)
    barrier = threading.Barrier(3)

    def click(user):
        barrier.wait()
        running.slack.block_action(user, "bcbot.request.approve", json.dumps({"r": request.id}))

    threads = [threading.Thread(target=click, args=(u,)) for u in (people.PARKS, people.BAKER, people.HUNTON)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    running.settle()
    assert len(rows(running, models.Incident)) == 1
    assert len(running.fake.calls_to("conversations.create")) == 1
    # The two who lost the race are told it was already approved.
    told = [r["text"] for r in running.fake.responses if "already approved" in r.get("text", "")]
    assert len(told) == 2


def test_decline_tells_the_requester(running):
    request = raise_request(running)
    running.slack.block_action(people.PARKS, "bcbot.request.decline", json.dumps({"r": request.id}))
    running.settle()
    assert rows(running, models.Incident) == []
    assert rows(running, models.ActivationRequest)[0].status == "declined"
    assert "declined your request" in dms_to(running.fake, people.OUTSIDER)[-1]["text"]


def test_only_the_team_can_approve(running):
    request = raise_request(running)
    running.slack.block_action(people.LEAD, "bcbot.request.approve", json.dumps({"r": request.id}))
    running.settle()
    assert rows(running, models.Incident) == []
    assert any("Only the Business Continuity Team" in r.get("text", "") for r in running.fake.responses)


def test_a_replayed_approval_decides_once_and_says_nothing_more(running):
    """The same signed click sent again within Slack's 5 minutes (a replay, or Slack's own retry)."""
    import time

    request = raise_request(running)
    click = {"type": "block_actions", "team": {"id": "T0BCBOT"}, "user": {"id": people.BAKER, "team_id": "T0BCBOT"},
             "api_app_id": "A0BCBOT", "trigger_id": "t-approve", "response_url": running.fake.response_url + "approve",
             "actions": [{"action_id": "bcbot.request.approve", "block_id": "b", "value": json.dumps({"r": request.id}),
                          "action_ts": "1700000000.000100"}]}
    stamp = int(time.time())
    for _ in range(3):
        assert running.slack.interactive(click, timestamp=stamp).status == 200
        running.settle()
    assert len(rows(running, models.Incident)) == 1
    assert [i.kind for i in rows(running, models.Intent)] == ["submit_activation", "decide_request"]  # each once
    assert not [r for r in running.fake.responses if "already" in r.get("text", "")]
