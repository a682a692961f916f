"""Malformed, truncated, oversized and wrongly typed requests for every listener, signed as Slack signs
them and sent through the running app (hypothesis mutates a valid request of each kind).

For every request: never an HTTP 500 or a stack trace in what goes back to Slack, never an ERROR log
(garbage is refused, not crashed on), never a half-finished write (the database's invariants hold,
and only the tables the listener legitimately writes change). A request that is certainly garbage
changes nothing and is logged; a request that does nothing at all says why in the log.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings

from bot.slack.ids import OTHER_VALUE, Action, Callback
from storage import models
from tests.e2e.helpers import activate, open_modal, rows, submit
from tests.support import dbstate, fuzz, people
from tests.support.served import served
from tests.support.slack_requests import TEAM_ID, filled_view

# 30 examples per listener keeps the file well under a minute; BCBOT_FUZZ_EXAMPLES=500 digs deeper.
# Under CI the examples are the same every run (a gate, not a lottery); locally each run explores anew.
FUZZ = settings(max_examples=int(os.environ.get("BCBOT_FUZZ_EXAMPLES", "30")), deadline=None,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
PLAN = "wunderroot-bcp"
REVIEW_DUE, TEST_DUE = "2027-11-15", "2027-05-14"  # the bundled plan's next review and test
TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "/')
GOVERNANCE = {"plan_governance", "reminder_claims", "plan_reviews", "plan_tests"}
ACTIVATION = {"activation_requests", "incidents", "checklist_steps", "incident_log", "outbox",
              "checklist_messages", "incident_roles", "incident_services"}
_numbers = itertools.count(1)


class World:
    """One app for the module, with fresh incidents and requests made on demand."""

    def __init__(self, running):
        self.running = running

    def incident(self):
        """A new open incident activated by a team member, led by LEAD, with its checklist posted."""
        n = next(_numbers)
        activate(self.running, people.PARKS, lead=people.LEAD, circumstance=OTHER_VALUE, other=f"Fuzz case {n}")
        incident = max(rows(self.running, models.Incident), key=lambda i: i.id)
        steps = [s for s in rows(self.running, models.ChecklistStep) if s.incident_id == incident.id]
        return incident, sorted(steps, key=lambda s: s.id)

    def request(self) -> int:
        """A new pending activation request from someone outside the team."""
        view = open_modal(self.running, people.OUTSIDER)
        submit(self.running, people.OUTSIDER, view, summary=f"Flooded office {next(_numbers)}")
        return max(r.id for r in rows(self.running, models.ActivationRequest) if r.status == "pending")

    def view(self, callback: str = Callback.ACTIVATION) -> dict:
        """A modal bcbot really opened (so views.update of it works)."""
        open_modal(self.running, people.OUTSIDER)
        return [v for v in self.running.fake.views.values() if v.get("callback_id") == callback][-1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with served(tmp_path_factory.mktemp("bad-input")) as running:
        yield World(running)


# Valid requests of every kind ---------------------------------------------------------------------------
def _user(user: str) -> dict:
    return {"id": user, "username": user.lower(), "team_id": TEAM_ID}


def command_form(world: World, text: str, *, user: str = people.OUTSIDER, channel: str = "C0GENERAL") -> dict:
    return {"token": "unused", "team_id": TEAM_ID, "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/activate",
            "text": text, "api_app_id": "A0BCBOT", "response_url": world.running.fake.response_url + "fuzz-cmd",
            "trigger_id": "trigger-fuzz"}


def block_action(world: World, action_id: str, *, user: str, value=None, channel: str = "C0GENERAL",
                 view: dict | None = None, **action) -> dict:
    element = {"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1700000000.1", **action}
    if value is not None:
        element["value"] = value if isinstance(value, str) else json.dumps(value)
    payload = {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "test"}, "user": _user(user),
               "api_app_id": "A0BCBOT", "trigger_id": "trigger-fuzz", "actions": [element]}
    if view is not None:
        payload |= {"view": {"id": view["id"], "hash": view["hash"], "private_metadata": view.get("private_metadata", ""),
                             "callback_id": view.get("callback_id")},
                    "container": {"type": "view", "view_id": view["id"]}}
    else:
        payload |= {"channel": {"id": channel, "name": "x"},
                    "container": {"type": "message", "message_ts": "1.1", "channel_id": channel},
                    "message": {"ts": "1.1", "text": ""}, "response_url": world.running.fake.response_url + "fuzz-act"}
    return payload


def view_submission(user: str, callback: str, meta: dict, values: dict) -> dict:
    state = {block: {"value": element} for block, element in values.items()}
    return {"type": "view_submission", "team": {"id": TEAM_ID, "domain": "test"}, "user": _user(user),
            "api_app_id": "A0BCBOT", "trigger_id": "trigger-fuzz",
            "view": {"id": f"VFUZZ{next(_numbers)}", "type": "modal", "callback_id": callback, "hash": "h1",
                     "private_metadata": json.dumps(meta), "state": {"values": state}}}


def text_input(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


def selected(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


USER = ("user", "id")
ACTION = ("actions", 0, "action_id")
VALUE = ("actions", 0, "value")
META = ("view", "private_metadata")


@dataclass
class Listener:
    kind: str  # "command", "interactive" or "event"
    base: dict
    allowed: set[str] = field(default_factory=set)  # tables a still-valid request may change
    required: tuple = ()  # nodes (or form fields) without which it must be refused
    garbage_at: tuple = ()  # nodes where any garbage is refused
    idle_ok: bool = False  # may do nothing and say nothing (a link button)


def _incident_action(world, action, allowed=(), **value) -> Listener:
    incident, _ = world.incident()
    base = block_action(world, action, user=people.LEAD, value={"i": incident.id, **value}, channel=incident.channel_id)
    return Listener("interactive", base, set(allowed), (USER, ACTION, VALUE), (VALUE,))


def _new_channel(world) -> Listener:
    """Create a new channel, for a channel Slack never said was deleted: refused in words, nothing changes."""
    incident, _ = world.incident()
    base = block_action(world, Action.NEW_CHANNEL, user=people.LEAD, value={"i": incident.id, "c": incident.channel_id})
    return Listener("interactive", base, set(), (USER, ACTION, VALUE), (VALUE,))


def _step_action(world, action) -> Listener:
    incident, steps = world.incident()
    base = block_action(world, action, user=people.BAKER, value={"s": steps[0].id}, channel=incident.channel_id)
    return Listener("interactive", base, {"checklist_steps", "incident_log"}, (USER, ACTION, VALUE), (VALUE,))


def _reminder_action(world, action, kind, due, allowed=()) -> Listener:
    base = block_action(world, action, user=people.PARKS, value={"p": PLAN, "k": kind, "d": due})
    return Listener("interactive", base, set(allowed), (USER, ACTION, VALUE), (VALUE,))


def _roll_call_answer(world, answer: str) -> Listener:
    base = block_action(world, f"{Action.ROLL_CALL_ANSWER}.{answer}", user=people.BAKER, value={"r": 1, "a": answer})
    return Listener("interactive", base, {"roll_call_people", "roll_call_answers", "outbox"}, (USER, ACTION, VALUE),
                    (VALUE,))


def _role_action(world, action: str) -> Listener:
    """A role's button (its ID in the value: none here, so a valid click is told the role is not on record)."""
    base = block_action(world, action, user=people.OUTSIDER, value={"r": 1})
    return Listener("interactive", base, {"incident_roles", "incident_log", "checklist_steps", "outbox"},
                    (USER, ACTION, VALUE), (VALUE,))


def _step_view(world, callback, text) -> Listener:
    incident, steps = world.incident()
    base = view_submission(people.LEAD, callback, {"s": steps[1].id}, {"text": text_input(text)})
    return Listener("interactive", base, {"checklist_steps", "incident_log"}, (USER, META), (META,))


def _incident_view(world, callback, values, allowed, required=()) -> Listener:
    incident, _ = world.incident()
    base = view_submission(people.LEAD, callback, {"i": incident.id}, values)
    return Listener("interactive", base, allowed, (USER, META, *required), (META,))


def _decision_shortcut(world) -> Listener:
    incident, _ = world.incident()
    base = {"type": "message_action", "callback_id": Callback.SHORTCUT_LOG_DECISION, "team": {"id": TEAM_ID},
            "user": _user(people.LEAD), "channel": {"id": incident.channel_id, "name": "x"},
            "message": {"type": "message", "ts": "1700000001.000100", "text": "We will tell clients at noon",
                        "user": people.HUNTON},
            "message_ts": "1700000001.000100", "trigger_id": "trigger-fuzz",
            "response_url": world.running.fake.response_url + "fuzz-shortcut"}
    return Listener("interactive", base, {"decisions", "incident_log", "incidents"},
                    (USER, ("type",), ("callback_id",), ("channel",), ("message",), ("message", "text")))


def _activation_view(world) -> Listener:
    view = filled_view(world.view(), circumstance="Loss of critical systems", summary="The file server died at 09:00",
                       lead=people.LEAD, services=["Finance and payroll"], view_id=f"VFUZZ{next(_numbers)}")
    base = {"type": "view_submission", "team": {"id": TEAM_ID, "domain": "test"}, "user": _user(people.OUTSIDER),
            "api_app_id": "A0BCBOT", "trigger_id": "trigger-fuzz", "view": view}
    values = ("view", "state", "values")
    return Listener("interactive", base, {"activation_requests"},
                    (USER, ("view",), ("view", "callback_id"), values + ("summary", "value", "value"),
                     values + ("circumstance", "value", "selected_option", "value"), values + ("lead", "value", "selected_user")))


def _home_event(world) -> Listener:
    base = {"token": "unused", "team_id": TEAM_ID, "api_app_id": "A0BCBOT", "type": "event_callback",
            "event": {"type": "app_home_opened", "user": people.OUTSIDER, "channel": "D0OUTSIDE1", "tab": "home",
                      "event_ts": "1700000000.1"},
            "event_id": "EvFUZZ", "event_time": 1_700_000_000,
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BCBOT", "is_bot": True}]}
    return Listener("event", base, {"processed_events"}, (("type",), ("event",), ("event", "type"), ("event", "user")))


def _channel_event(kind: str):
    """A channel usable again (unarchived, bcbot invited back): held effects are released, nothing else."""
    def build(world) -> Listener:
        base = {"token": "unused", "team_id": TEAM_ID, "api_app_id": "A0BCBOT", "type": "event_callback",
                "event": {"type": kind, "channel": "C0GENERAL", "user": people.OUTSIDER, "event_ts": "1700000000.2"},
                "event_id": f"EvFUZZ{kind}", "event_time": 1_700_000_000,
                "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BCBOT", "is_bot": True}]}
        return Listener("event", base, {"outbox"}, (("type",), ("event",), ("event", "type"), ("event", "channel")))
    return build


def _plan_selected(world) -> Listener:
    view = world.view()
    base = block_action(world, Action.PLAN_SELECTED, user=people.OUTSIDER, view=view, type="static_select",
                        selected_option={"value": PLAN, "text": {"type": "plain_text", "text": "Plan"}})
    option = ("actions", 0, "selected_option", "value")
    return Listener("interactive", base, set(), (USER, ACTION, option), (option,))


def _start_exercise(world) -> Listener:
    view = world.view()
    base = block_action(world, Action.START_EXERCISE, user=people.PARKS, value={"p": PLAN}, view=view)
    return Listener("interactive", base, set(), (USER, ACTION, VALUE), (VALUE,))


def _step_assign(world) -> Listener:
    incident, steps = world.incident()
    base = block_action(world, Action.STEP_ASSIGN, user=people.LEAD, channel=incident.channel_id, type="users_select",
                        block_id=f"step:{steps[0].id}", selected_user=people.BAKER)
    block, user = ("actions", 0, "block_id"), ("actions", 0, "selected_user")
    return Listener("interactive", base, {"checklist_steps", "incident_log"}, (USER, ACTION, block, user), (block, user))


def _step_more(world) -> Listener:
    incident, steps = world.incident()
    option = {"value": json.dumps({"s": steps[0].id, "op": "note"}), "text": {"type": "plain_text", "text": "Note"}}
    base = block_action(world, Action.STEP_MORE, user=people.LEAD, channel=incident.channel_id, type="overflow",
                        selected_option=option)
    value = ("actions", 0, "selected_option", "value")
    return Listener("interactive", base, set(), (USER, ACTION, value), (value,))


def _request_action(world, action, allowed) -> Listener:
    request_id = world.request()
    base = block_action(world, action, user=people.PARKS, value={"r": request_id})
    return Listener("interactive", base, allowed, (USER, ACTION, VALUE), (VALUE,))


def _decision_command(world) -> Listener:
    incident, _ = world.incident()
    return Listener("command", command_form(world, "decision Move to the backup office", user=people.LEAD,
                                            channel=incident.channel_id),
                    {"decisions", "incident_log", "incidents"}, ("command", "user_id", "channel_id"))


ACTIONS = {"actions", "action_events", "incident_log", "outbox"}


def _an_action(world) -> tuple[int, int]:
    """(an open action of a new incident, the incident's ID): `/activate action` by its lead."""
    incident, _ = world.incident()
    world.running.slack.command(people.LEAD, f"action Fuzz action {next(_numbers)}", channel=incident.channel_id)
    world.running.settle()
    return max(a.id for a in rows(world.running, models.CorrectiveAction)), incident.id


def _action_button(world, action) -> Listener:
    action_id, _ = _an_action(world)
    return Listener("interactive", block_action(world, action, user=people.LEAD, value={"a": action_id}), set(),
                    (USER, ACTION, VALUE), (VALUE,))


def _action_view(world, callback, values) -> Listener:
    action_id, _ = _an_action(world)
    return Listener("interactive", view_submission(people.LEAD, callback, {"a": action_id}, values), ACTIONS,
                    (USER, META), (META,))


def _rows(title: str) -> dict:
    return {"action_title:0": text_input(title), "action_owner:0": {"type": "users_select", "selected_user": people.BAKER},
            "action_due:0": {"type": "datepicker", "selected_date": "2030-01-01"}}


def _post_incident_review_view(world) -> Listener:
    incident, _ = world.incident()
    return Listener("interactive", view_submission(people.LEAD, Callback.POST_INCIDENT_REVIEW, {"i": incident.id, "rows": 1}, {
        "what_worked": text_input("The phone tree"), "gaps": text_input("Backups"), **_rows("Test a restore")}),
        ACTIONS, (USER, META), (META,))


LISTENERS = {
    "/activate action": lambda w: Listener("command", command_form(
        w, "action Call the insurer", user=people.LEAD, channel=w.incident()[0].channel_id), ACTIONS,
        ("command", "user_id", "channel_id")),
    Action.ACTION_DONE: lambda w: _action_button(w, Action.ACTION_DONE),
    Action.ACTION_NEW_DATE: lambda w: _action_button(w, Action.ACTION_NEW_DATE),
    Action.ACTION_DROP: lambda w: _action_button(w, Action.ACTION_DROP),
    Action.ACTION_EDIT: lambda w: _action_button(w, Action.ACTION_EDIT),
    Action.ADD_ACTION_ROW: lambda w: Listener("interactive", block_action(
        w, Action.ADD_ACTION_ROW, user=people.PARKS, value={"f": "review", "n": 3, "i": None}, view=w.view()), set(),
        (USER, ACTION, VALUE), (VALUE,)),
    Action.OPEN_POST_INCIDENT_REVIEW: lambda w: Listener("interactive", block_action(
        w, Action.OPEN_POST_INCIDENT_REVIEW, user=people.LEAD, value={"i": w.incident()[0].id}), set(),
        (USER, ACTION, VALUE), (VALUE,)),
    Action.OPEN_MANAGEMENT_REVIEW: lambda w: Listener("interactive", block_action(
        w, Action.OPEN_MANAGEMENT_REVIEW, user=people.PARKS, value="review"), set(), (USER, ACTION)),
    Callback.ACTION_DONE: lambda w: _action_view(w, Callback.ACTION_DONE, {"text": text_input("Called them")}),
    Callback.ACTION_DROP: lambda w: _action_view(w, Callback.ACTION_DROP, {"text": text_input("Not needed")}),
    Callback.ACTION_NEW_DATE: lambda w: _action_view(w, Callback.ACTION_NEW_DATE, {
        "due": {"type": "datepicker", "selected_date": "2030-01-01"}}),
    Callback.ACTION_EDIT: lambda w: _action_view(w, Callback.ACTION_EDIT, {
        "owner": {"type": "users_select", "selected_user": people.BAKER},
        "due": {"type": "datepicker", "selected_date": "2030-01-01"}}),
    Callback.POST_INCIDENT_REVIEW: _post_incident_review_view,
    Callback.MANAGEMENT_REVIEW: lambda w: Listener("interactive", view_submission(
        people.PARKS, Callback.MANAGEMENT_REVIEW, {"rows": 1, "plan": PLAN}, {
            "held_on": {"type": "datepicker", "selected_date": "2026-01-01"},
            "attendees": {"type": "multi_users_select", "selected_users": [people.PARKS]},
            "decisions": text_input("Fund a second site"), **_rows("Cost a second site")}),
        ACTIONS | {"management_reviews"}, (USER, META), (META,)),
    # /activate and each subcommand
    "/activate": lambda w: Listener("command", command_form(w, ""), set(), ("command", "user_id")),
    "/activate exercise": lambda w: Listener("command", command_form(w, "exercise"), set(), ("command", "user_id")),
    "/activate decision": _decision_command,
    "/activate status": lambda w: Listener("command", command_form(w, "status"), set(), ("command", "user_id")),
    "/activate help": lambda w: Listener("command", command_form(w, "help"), set(), ("command", "user_id")),
    "/activate plan": lambda w: Listener("command", command_form(w, "plan"), set(), ("command", "user_id")),
    "/activate drill": lambda w: Listener("command", command_form(w, "drill"), set(), ("command", "user_id")),
    "/activate answer": lambda w: Listener("command", command_form(w, f"answer {people.BAKER} safe"), set(),
                                           ("command", "user_id")),
    "/activate (unknown)": lambda w: Listener("command", command_form(w, "frobnicate"), set(), ("command", "user_id")),
    # every block action
    Action.OPEN_ACTIVATION: lambda w: Listener("interactive", block_action(w, Action.OPEN_ACTIVATION, user=people.OUTSIDER),
                                               set(), (USER, ACTION)),
    Action.PLAN_SELECTED: _plan_selected,
    Action.VIEW_PLAN: lambda w: Listener("interactive", block_action(w, Action.VIEW_PLAN, user=people.OUTSIDER,
                                                                     value={"p": PLAN}), set(), (USER, ACTION, VALUE), (VALUE,)),
    Action.STEP_DONE: lambda w: _step_action(w, Action.STEP_DONE),
    Action.STEP_REOPEN: lambda w: _step_action(w, Action.STEP_REOPEN),
    Action.APPROVE_REQUEST: lambda w: _request_action(w, Action.APPROVE_REQUEST, ACTIVATION),
    Action.DECLINE_REQUEST: lambda w: _request_action(w, Action.DECLINE_REQUEST, {"activation_requests"}),
    Action.OPEN_CHANNEL: lambda w: Listener("interactive", block_action(w, Action.OPEN_CHANNEL, user=people.OUTSIDER),
                                            idle_ok=True),
    Action.STEP_ASSIGN: _step_assign,
    Action.STEP_MORE: _step_more,
    Action.ADVANCE_PHASE: lambda w: _incident_action(w, Action.ADVANCE_PHASE, {"incidents", "incident_log",
                                                                              "checklist_messages", "outbox"},
                                                     **{"from": "incident_management"}),
    Action.LOG_DECISION: lambda w: _incident_action(w, Action.LOG_DECISION),
    Action.POST_UPDATE: lambda w: _incident_action(w, Action.POST_UPDATE),
    Action.STAND_DOWN: lambda w: _incident_action(w, Action.STAND_DOWN),
    Action.SNOOZE_NUDGE: lambda w: _incident_action(w, Action.SNOOZE_NUDGE, {"incidents", "incident_log"}, m=30),
    Action.NEW_CHANNEL: _new_channel,
    Action.MARK_REVIEWED: lambda w: _reminder_action(w, Action.MARK_REVIEWED, "review", REVIEW_DUE, GOVERNANCE),
    Action.RECORD_TEST: lambda w: _reminder_action(w, Action.RECORD_TEST, "test", TEST_DUE),
    Action.SNOOZE_REMINDER: lambda w: _reminder_action(w, Action.SNOOZE_REMINDER, "review", REVIEW_DUE, GOVERNANCE),
    Action.START_EXERCISE: _start_exercise,
    # A roll call's answer (its ID in the value: none here, so a valid click is told it no longer exists)
    Action.ROLL_CALL_ANSWER: lambda w: _roll_call_answer(w, "safe"),
    **{f"{Action.ROLL_CALL_ANSWER}.{a}": (lambda a: lambda w: _roll_call_answer(w, a))(a)
       for a in ("safe", "cant_work", "need_help")},
    Action.ROLE_DECLINE: lambda w: _role_action(w, Action.ROLE_DECLINE),
    Action.COVER_ACCEPT: lambda w: _role_action(w, Action.COVER_ACCEPT),
    Action.COVER_DECLINE: lambda w: _role_action(w, Action.COVER_DECLINE),
    # Got it on a card of someone's part (none on record here: a valid click is told so)
    Action.PART_ACKNOWLEDGE: lambda w: Listener("interactive", block_action(
        w, Action.PART_ACKNOWLEDGE, user=people.BAKER, value={"p": PLAN, "h": "0" * 64}), {"plan_parts", "outbox"},
        (USER, ACTION, VALUE), (VALUE,)),
    # Recovery objectives: a service's ID in the value (none here: a valid click is told it is not on record)
    Action.SERVICE_RECOVERED: lambda w: _incident_action(w, Action.SERVICE_RECOVERED,
                                                         {"incident_services", "incident_log", "outbox"}, s=1),
    Action.CHANGE_SERVICES: lambda w: _incident_action(w, Action.CHANGE_SERVICES),
    Action.HOME_OLDER: lambda w: Listener("interactive", block_action(
        w, Action.HOME_OLDER, user=people.OUTSIDER, value={"p": 2, "t": "2026-01-01T00:00:00+00:00", "i": 1}),
        set(), (USER, ACTION)),
    Action.HOME_LATEST: lambda w: Listener("interactive", block_action(w, Action.HOME_LATEST, user=people.OUTSIDER, value={}),
                                           set(), (USER, ACTION)),
    # every view submission
    Callback.ACTIVATION: _activation_view,
    Callback.STEP_NOTE: lambda w: _step_view(w, Callback.STEP_NOTE, "Called the landlord"),
    Callback.STEP_NA: lambda w: _step_view(w, Callback.STEP_NA, "No office to secure"),
    Callback.DECISION: lambda w: _incident_view(w, Callback.DECISION, {
        "decision": text_input("Move to the backup office"), "rationale": text_input("No power"),
        "options": text_input("Home; backup office"), "decided_by": {"type": "users_select", "selected_user": people.PARKS}},
        {"decisions", "incident_log", "incidents"}, (("view", "state", "values", "decision", "value", "value"),)),
    Callback.STATUS_UPDATE: lambda w: _incident_view(w, Callback.STATUS_UPDATE, {
        "situation": text_input("Servers restored"), "actions": text_input("Testing"), "next_update": selected("60")},
        {"incidents", "incident_log"}, (("view", "state", "values", "situation", "value", "value"),)),
    Callback.STAND_DOWN: lambda w: _incident_view(w, Callback.STAND_DOWN, {"text": text_input("Power back, all clear")},
                                                  {"incidents", "incident_log", "incident_services", *GOVERNANCE},
                                                  (("view", "state", "values", "text", "value", "value"),)),
    Callback.CHANGE_SERVICES: lambda w: _incident_view(w, Callback.CHANGE_SERVICES, {
        "services": {"type": "multi_static_select", "selected_options": [{"value": "Finance and payroll"}]}},
        {"incident_services", "incident_log", "incidents"}),
    Callback.RECORD_TEST: lambda w: Listener("interactive", view_submission(people.PARKS, Callback.RECORD_TEST, {"plan": PLAN}, {
        "test_type": selected("tabletop"), "test_date": {"type": "datepicker", "selected_date": "2026-01-10"},
        "test_notes": text_input("Walked through the flood scenario")}), GOVERNANCE,
        (USER, META, ("view", "state", "values", "test_type", "value", "selected_option", "value"),
         ("view", "state", "values", "test_date", "value", "selected_date")), (META,)),
    # shortcuts and events
    Callback.SHORTCUT_ACTIVATE: lambda w: Listener("interactive", {
        "type": "shortcut", "callback_id": Callback.SHORTCUT_ACTIVATE, "team": {"id": TEAM_ID, "domain": "test"},
        "user": _user(people.OUTSIDER), "api_app_id": "A0BCBOT", "trigger_id": "trigger-fuzz", "action_ts": "1.1"},
        set(), (USER, ("type",), ("callback_id",))),
    Callback.SHORTCUT_LOG_DECISION: _decision_shortcut,
    "app_home_opened": _home_event,
    "channel_unarchive": _channel_event("channel_unarchive"),
    "member_joined_channel": _channel_event("member_joined_channel"),
}


class _Recorder:
    """Stands in for the Bolt app: records what each handlers module registers a listener for."""

    def __init__(self):
        self.ids: set[str] = set()

    def __getattr__(self, kind):  # app.action(id), app.view(id), app.command(name), app.event(type), ...
        def register(key):
            self.ids.add(str(getattr(key, "value", key)))
            return lambda listener: listener
        return register


def test_every_listener_is_covered():
    from handlers import actions, commands, events, governance, home, parts, recovery, roles, rollcall, shortcuts, views

    app = _Recorder()
    for module in (commands, actions, views, events, shortcuts, home, governance, rollcall, roles, parts, recovery):
        module.register(app)
    covered = {str(k) for k in LISTENERS}
    assert app.ids <= covered, app.ids - covered
    assert {str(a) for a in Action} | {str(c) for c in Callback} <= covered


def _strategy(listener: Listener):
    if listener.kind == "command":
        return fuzz.command_mutants(listener.base, required=listener.required)
    if listener.kind == "event":
        return fuzz.event_mutants(listener.base, required=listener.required)
    return fuzz.interactive_mutants(listener.base, required=listener.required, garbage_at=listener.garbage_at)


def _fresh_event_id(mutant: fuzz.Mutant) -> fuzz.Mutant:
    """Each event gets its own ID, as Slack gives it (a repeated ID is a retry, handled once)."""
    try:
        body = json.loads(mutant.body)
    except ValueError:
        return mutant
    if isinstance(body, dict) and body.get("event_id") == "EvFUZZ":
        body["event_id"] = f"EvFUZZ{next(_numbers)}"
        return fuzz.Mutant(json.dumps(body), mutant.content_type, mutant.fatal, mutant.what)
    return mutant


def _told(running, calls_before: int, responses_before: int) -> list[str]:
    """What went back to people after the request: response_url posts and messages."""
    texts = [json.dumps(r) for r in running.fake.responses[responses_before:]]
    texts += [json.dumps(c.params) for c in running.fake.calls[calls_before:]
              if c.method in ("chat.postMessage", "chat.postEphemeral", "chat.update")]
    return texts


def check_request(running, caplog, listener: Listener, mutant: fuzz.Mutant) -> None:
    if listener.kind == "event":
        mutant = _fresh_event_id(mutant)
    before = dbstate.snapshot(running.bot)
    calls, responses, logged = len(running.fake.calls), len(running.fake.responses), len(caplog.records)
    reply = running.slack.post(mutant.body, mutant.content_type)
    running.settle()
    after = dbstate.snapshot(running.bot)
    records = caplog.records[logged:]

    assert reply.status < 500, (reply.status, reply.body[:500])
    assert not any(sign in reply.body for sign in TRACEBACK_SIGNS), reply.body[:2000]
    for text in _told(running, calls, responses):
        assert not any(sign in text for sign in TRACEBACK_SIGNS), text[:2000]
    errors = [f"{r.name}: {r.getMessage()[:300]}" for r in records if r.levelno >= logging.ERROR]
    assert not errors, errors
    assert not dbstate.problems(after), dbstate.problems(after)
    changed = dbstate.diff_besides_refusals(before, after)  # a refused intent is kept, marked failed
    # INFO and up from anyone; DEBUG from bcbot itself (e.g. "the Messages tab: nothing to publish").
    says_why = [r for r in records if r.levelno >= logging.INFO or (r.name.startswith("bcbot") and r.name != "bcbot.bolt")]
    if mutant.fatal:
        assert not changed, f"garbage changed the database: {changed}"
        assert [r for r in says_why if r.levelno >= logging.INFO], "garbage was refused without a log line"
    else:
        # The road's own tables come with any change: the person's intent and the Slack effects it owes;
        # and what the worker learns on the side: people's names (bot/worker/people.py).
        assert set(changed) - {"intents", "outbox", "person_names"} <= listener.allowed, f"unexpected writes: {changed}"
    answered = reply.body.strip() not in ("", "{}")
    idle = not (changed or answered) and len(running.fake.calls) == calls and len(running.fake.responses) == responses
    if idle and not listener.idle_ok:
        assert says_why, "the request did nothing and nothing says why"


@pytest.mark.parametrize("name", list(LISTENERS), ids=str)
def test_bad_requests_are_refused_cleanly(world, caplog, name):
    caplog.set_level(logging.INFO, logger="bcbot.bolt")  # Bolt's DEBUG lines say nothing about refusals
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bcbot")  # last: the capturing handler's level is the last one set
    listener = LISTENERS[name](world)

    @FUZZ
    @given(mutant=_strategy(listener))
    def check(mutant):
        check_request(world.running, caplog, listener, mutant)

    check()


# Requests no strategy above makes ---------------------------------------------------------------------------
def _raw_post(running, body: bytes, content_type: str, *, secret: str | None = None):
    """A signed POST of raw bytes (the sender in fakeslack only sends text)."""
    import hashlib
    import hmac
    import urllib.error
    import urllib.request

    from tests.support.secrets import SIGNING_SECRET

    ts = str(int(time.time()))
    signature = "v0=" + hmac.new((secret or SIGNING_SECRET).encode(), f"v0:{ts}:".encode() + body,
                                 hashlib.sha256).hexdigest()
    request = urllib.request.Request(running.url + "/slack/events", data=body, method="POST", headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


@pytest.mark.parametrize("body, content_type", [
    (b"payload=%FF%FE%FD", fuzz.FORM),
    (b"\xff\xfe\x00garbage", fuzz.FORM),
    (b"\xc3\x28{\"type\": 1}", fuzz.JSON_TYPE),
    (b"{\"type\": \"event_callback\", \"event\": 5}", fuzz.JSON_TYPE),
    (b"[1, 2, 3]", fuzz.JSON_TYPE),
    (b"", fuzz.FORM),
    (urlencode({"payload": json.dumps({"type": "block_actions", "actions": [None], "user": {"id": people.PARKS}})}).encode(),
     fuzz.FORM),
])
def test_undecodable_bodies_are_refused(world, caplog, body, content_type):
    caplog.set_level(logging.INFO)
    before = dbstate.snapshot(world.running.bot)
    status, text = _raw_post(world.running, body, content_type)
    world.running.settle()
    assert status < 500 and "Traceback" not in text, (status, text)
    assert not dbstate.diff(before, dbstate.snapshot(world.running.bot))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r for r in caplog.records if r.levelno >= logging.INFO]


def test_unsigned_garbage_is_refused_as_unsigned(world, caplog):
    caplog.set_level(logging.INFO)
    status, text = _raw_post(world.running, b"payload=notjson", fuzz.FORM, secret="not-the-secret")
    assert status == 401 and "Traceback" not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(world):
    # Headers that announce 1.1 MB and only the body's first bytes: the server answers 413 from the
    # announced length alone, without waiting for (or reading) the rest.
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(world.running.url)
    length = 1_100_000
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        conn.sendall((f"POST /slack/events HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: {fuzz.FORM}\r\n"
                      f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n"
                      f"Content-Length: {length}\r\n\r\n").encode() + b"payload=" + b"x" * 1000)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].decode()
    assert status_line.split()[1] == "413", status_line
    assert b"Traceback" not in answer
