"""The permission matrix: each action against each kind of user, through the running app.

Rules (bot/activation.py, bot/incident_ops.py, bot/governance.py, the middleware in bot/app.py):
- activate: the Business Continuity Team activates at once; anyone else's activation is a request
  to the team (recorded, not refused);
- approve or decline a request: the team only;
- change phase, stand down: the incident lead or the team;
- log a decision, post a status update: the lead, the team or the plan owners;
- mark a plan reviewed: the plan owners or the team;
- anyone from another Slack workspace (team ID): refused before any listener runs.

An allowed user's action has its effect. A refused one is told why (response_url, DM or the HTTP
reply), leaves a log line, and changes nothing in the database. Buttons that open a modal are
checked twice: the button, and a forged submission of the modal it would have opened.
"""
from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from typing import Callable

import pytest
import yaml
from sqlalchemy import select

from bot.slack.ids import OTHER_VALUE, Action, Callback
from config import BUNDLED_PLANS
from storage import models
from tests.e2e.helpers import rows
from tests.support import dbstate, people
from tests.support.served import served
from tests.support.slack_requests import TEAM_ID, filled_view

OWNER = "U0OWNER001"  # a plan owner who is not on the team
FOREIGN = "U0FOREIGN1"  # a user of another workspace
OTHER_TEAM = "T0OTHER"
PLAN = "wunderroot-bcp"
USERS = {"team member": people.BAKER, "plan owner (not on the team)": OWNER, "incident lead": people.LEAD,
         "other member": people.OUTSIDER, "another workspace": FOREIGN}
_numbers = itertools.count(1)


def permission_plan(folder) -> str:
    """The bundled plan with an owner who is not on the team, and a team member who is not an owner."""
    data = yaml.safe_load((BUNDLED_PLANS / "wunderroot.yaml").read_text())
    parks = {"name": "Steve Parks", "role": "Managing Director (UK)", "slack": people.PARKS}
    data["owners"] = [parks, {"name": "Olga Owner", "role": "Operations Manager (UK)", "slack": OWNER}]
    data["activation"]["team"] = [parks, {"name": "Joe Baker", "role": "Lead Developer", "slack": people.BAKER}]
    path = folder / "plans.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


class World:
    def __init__(self, running):
        self.running = running
        running.fake.add_user(OWNER, "Olga Owner")
        running.fake.add_user(FOREIGN, "Fred Foreign", team_id=OTHER_TEAM)
        self.activation_view = self._activation_view()

    def _activation_view(self) -> dict:
        self.running.slack.command(people.PARKS, "")
        self.running.settle()
        return [v for v in self.running.fake.views.values() if v.get("callback_id") == Callback.ACTIVATION][-1]

    def submit_activation(self, user: str, team: str = TEAM_ID):
        view = filled_view(self.activation_view, circumstance=OTHER_VALUE, other=f"Permission case {next(_numbers)}",
                           summary="The office is flooded", lead=people.LEAD, view_id=f"VPERM{next(_numbers)}")
        reply = self.running.slack.view_submission(user, view, team=team)
        self.running.settle()
        return reply

    def incident(self):
        self.submit_activation(people.PARKS)
        return max(rows(self.running, models.Incident), key=lambda i: i.id)

    def request(self) -> int:
        self.submit_activation(people.OUTSIDER)
        return max(r.id for r in rows(self.running, models.ActivationRequest) if r.status == "pending")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("permissions")
    with served(folder, bcbot_plans=permission_plan(folder)) as running:
        yield World(running)


def team_of(user: str) -> str:
    return OTHER_TEAM if user == FOREIGN else TEAM_ID


# Each action: do it as `user`; return a check that says whether it had its effect ---------------------------
@dataclass
class Outcome:
    replies: list  # HTTP reply bodies
    worked: Callable[[], bool]


def _view(callback: str, meta: dict, values: dict) -> dict:
    return {"id": f"VPERM{next(_numbers)}", "type": "modal", "callback_id": callback, "hash": "h",
            "private_metadata": json.dumps(meta), "state": {"values": {k: {"value": v} for k, v in values.items()}}}


def _modal_opened(world, callback: str, since: int) -> bool:
    return any(c.method == "views.open" and c.params["view"].get("callback_id") == callback and not c.error
               for c in world.running.fake.calls[since:])


def do_activate(world, user, start):
    slack = world.running.slack
    start()
    replies = [slack.command(user, "", team=team_of(user)).body]
    before = {i.id for i in rows(world.running, models.Incident)}
    replies.append(world.submit_activation(user, team=team_of(user)).body)

    def worked():
        new = [i for i in rows(world.running, models.Incident) if i.id not in before]
        return len(new) == 1 and new[0].activated_by == user and new[0].approved_by is None
    return Outcome(replies, worked)


def do_decide(world, user, start, action):
    request_id = world.request()
    start()
    reply = world.running.slack.block_action(user, action, json.dumps({"r": request_id}), team=team_of(user))
    world.running.settle()
    status = "approved" if action == Action.APPROVE_REQUEST else "declined"
    return Outcome([reply.body], lambda: next(r for r in rows(world.running, models.ActivationRequest)
                                              if r.id == request_id).status == status)


def do_advance(world, user, start):
    incident = world.incident()
    start()
    reply = world.running.slack.block_action(user, Action.ADVANCE_PHASE, json.dumps({"i": incident.id, "from": incident.state}),
                                             channel=incident.channel_id, team=team_of(user))
    world.running.settle()
    return Outcome([reply.body], lambda: _incident(world, incident.id).state == "business_continuity")


def _button_then_modal(world, user, incident, action, callback, values):
    """The button (opens the modal, or is refused), then a submission of that modal, even if forged."""
    slack, calls = world.running.slack, len(world.running.fake.calls)
    replies = [slack.block_action(user, action, json.dumps({"i": incident.id}), channel=incident.channel_id,
                                  team=team_of(user)).body]
    world.running.settle()
    opened = _modal_opened(world, callback, calls)
    reply = slack.view_submission(user, _view(callback, {"i": incident.id}, values), team=team_of(user)).body
    world.running.settle()
    if reply.strip():  # a refusal shown in the modal must sit on one of its blocks, or Slack shows nothing
        assert set(json.loads(reply)["errors"]) <= set(values), reply
    return replies + [reply], opened


def do_stand_down(world, user, start):
    incident = world.incident()
    start()
    replies, opened = _button_then_modal(world, user, incident, Action.STAND_DOWN, Callback.STAND_DOWN,
                                         {"text": {"type": "plain_text_input", "value": "All clear"}})
    return Outcome(replies, lambda: opened and _incident(world, incident.id).state == "stood_down")


def do_log_decision(world, user, start):
    incident = world.incident()
    start()
    replies, opened = _button_then_modal(world, user, incident, Action.LOG_DECISION, Callback.DECISION, {
        "decision": {"type": "plain_text_input", "value": "Move to the backup office"},
        "decided_by": {"type": "users_select", "selected_user": user}})
    replies.append(world.running.slack.command(user, "decision Pause deploys", channel=incident.channel_id,
                                               team=team_of(user)).body)
    world.running.settle()
    return Outcome(replies, lambda: opened and len(_decisions(world, incident.id)) == 2)


def do_post_update(world, user, start):
    incident = world.incident()
    start()
    replies, opened = _button_then_modal(world, user, incident, Action.POST_UPDATE, Callback.STATUS_UPDATE, {
        "situation": {"type": "plain_text_input", "value": "Servers restored"},
        "next_update": {"type": "static_select", "selected_option": {"value": "60"}}})
    return Outcome(replies, lambda: opened and any(e.kind == "status_update" and e.incident_id == incident.id
                                                   for e in rows(world.running, models.IncidentLogEntry)))


def do_mark_reviewed(world, user, start):
    due = _governance(world).next_review
    start()
    value = json.dumps({"p": PLAN, "k": "review", "d": due.isoformat()})
    reply = world.running.slack.block_action(user, Action.MARK_REVIEWED, value, team=team_of(user))
    world.running.settle()
    return Outcome([reply.body], lambda: _governance(world).last_review_by == user)


def _incident(world, incident_id):
    return next(i for i in rows(world.running, models.Incident) if i.id == incident_id)


def _decisions(world, incident_id):
    return [d for d in rows(world.running, models.Decision) if d.incident_id == incident_id]


def _governance(world):
    with world.running.bot.uow() as uow:
        row = uow.session.scalars(select(models.PlanGovernance).where(models.PlanGovernance.plan_key == PLAN)).one()
        uow.session.expunge(row)
        return row


TEAM, OWNER_, LEAD, OTHER, ABROAD = USERS.values()
ACTIONS = {
    # action: (do it, who may)
    "activate": (do_activate, {TEAM}),
    "approve a request": (lambda w, u, start: do_decide(w, u, start, Action.APPROVE_REQUEST), {TEAM}),
    "decline a request": (lambda w, u, start: do_decide(w, u, start, Action.DECLINE_REQUEST), {TEAM}),
    "change phase": (do_advance, {TEAM, LEAD}),
    "stand down": (do_stand_down, {TEAM, LEAD}),
    "log decision": (do_log_decision, {TEAM, OWNER_, LEAD}),
    "post status update": (do_post_update, {TEAM, OWNER_, LEAD}),
    "mark reviewed": (do_mark_reviewed, {TEAM, OWNER_}),
}
EXPLANATIONS = ("Only ", "another Slack workspace", "gone to them for approval")


def _told(world, user, calls: int, responses: int, replies: list[str]) -> list[str]:
    """Everything said to `user` since: response_url posts, DMs and HTTP replies."""
    fake = world.running.fake
    texts = [r.get("text", "") for r in fake.responses[responses:] if f"-{user}" in r.get("_path", "") or "cmd" in r.get("_path", "")]
    dm = "D" + user[1:]
    texts += [c.params.get("text", "") for c in fake.calls[calls:] if c.method == "chat.postMessage" and
              c.params.get("channel") in (dm, user)]
    for body in replies:  # Slack shows a command's reply and a modal's errors; other bodies are not seen
        try:
            data = json.loads(body)
        except ValueError:
            continue
        if isinstance(data, dict):
            texts += [data.get("text", "")] + list((data.get("errors") or {}).values())
    return texts


@pytest.mark.parametrize("kind", list(USERS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_matrix(world, caplog, action, kind):
    caplog.set_level(logging.INFO)
    do, allowed = ACTIONS[action]
    user = USERS[kind]
    state = {}

    def start():  # the set-up (a fresh incident or request) is done: the user's own requests follow
        world.running.settle()
        state.update(before=dbstate.snapshot(world.running.bot), calls=len(world.running.fake.calls),
                     responses=len(world.running.fake.responses), logged=len(caplog.records))

    outcome = do(world, user, start)
    world.running.settle()

    if user in allowed:
        assert outcome.worked(), f"{kind} could not {action}"
        return
    assert not outcome.worked(), f"{kind} was able to {action}"
    told = _told(world, user, state["calls"], state["responses"], outcome.replies)
    assert any(e in t for t in told for e in EXPLANATIONS), f"{kind} was not told why: {told}"
    records = caplog.records[state["logged"]:]
    assert any(w in r.getMessage() for r in records if r.levelno >= logging.INFO for w in ("refused", "for approval")), \
        "no log line"
    changed = dbstate.diff_besides_refusals(state["before"], dbstate.snapshot(world.running.bot))
    if action == "activate" and user != FOREIGN:  # a request to the team is recorded: nothing else
        # ... with the intent that recorded the form, and the outbox task that asks the team
        assert set(changed) == {"activation_requests", "intents", "outbox"}, changed
        assert changed["activation_requests"].added == changed["intents"].added == 1, changed
        request = max(rows(world.running, models.ActivationRequest), key=lambda r: r.id)
        assert request.status == "pending" and request.requested_by == user
    else:
        assert not changed, f"a refused {action} by {kind} changed {changed}"
        # Nor anything in Slack: no post, edit, pin, invite, channel or view but the refusal to this person.
        dm = "D" + user[1:]
        touched = [(c.method, c.params.get("channel")) for c in world.running.fake.calls[state["calls"]:]
                   if c.method not in _READS and c.status == 200 and not c.error
                   and not (c.method == "chat.postMessage" and c.params.get("channel") in (dm, user))]
        assert not touched, f"a refused {action} by {kind} did this in Slack: {touched}"


# Web API calls that change nothing a person sees (opening a DM to explain the refusal is one).
_READS = {"auth.test", "users.info", "users.lookupByEmail", "conversations.info", "conversations.history",
          "conversations.members", "conversations.open", "chat.getPermalink"}


def test_mark_reviewed_is_in_the_matrix():
    assert Action.MARK_REVIEWED.value == "bcbot.plan.reviewed" and "mark reviewed" in ACTIONS
