"""Buttons and selects in messages and modals."""
from __future__ import annotations

from bot.domain.commands import (
    AdvancePhase,
    DecideRequest,
    NewChannel,
    OpenIncidentForm,
    OpenStepForm,
    SetStep,
    SetStepDetail,
    SnoozeNudge,
    SwitchPlan,
)
from bot.domain.errors import InvalidInput
from bot.domain.records import StepStatus
from bot.slack.governance_parse import trigger_of
from bot.slack.ids import Action
from bot.slack.parse import action_value, actor, int_field, modal_meta, selected_user, selected_value, step_from_block, view_id
from handlers import hand_over, submit


def register(app) -> None:
    app.action(Action.STEP_DONE.value)(step_done)
    app.action(Action.STEP_REOPEN.value)(step_reopen)
    app.action(Action.STEP_ASSIGN.value)(step_assign)
    app.action(Action.STEP_MORE.value)(step_more)
    app.action(Action.APPROVE_REQUEST.value)(approve_request)
    app.action(Action.DECLINE_REQUEST.value)(decline_request)
    app.action(Action.PLAN_SELECTED.value)(plan_selected)
    app.action(Action.ADVANCE_PHASE.value)(advance_phase)
    app.action(Action.LOG_DECISION.value)(log_decision)
    app.action(Action.POST_UPDATE.value)(post_update)
    app.action(Action.STAND_DOWN.value)(stand_down)
    app.action(Action.SNOOZE_NUDGE.value)(snooze_nudge)
    app.action(Action.NEW_CHANNEL.value)(new_channel)
    app.action(Action.OPEN_CHANNEL.value)(lambda ack: ack())  # a link button: Slack opens the URL


def step_done(ack, body, context):
    submit(ack, context["bcbot"], body, SetStep(int_field(action_value(body), "s"), StepStatus.DONE))


def step_reopen(ack, body, context):
    submit(ack, context["bcbot"], body, SetStep(int_field(action_value(body), "s"), StepStatus.OPEN))


def step_assign(ack, body, context):
    submit(ack, context["bcbot"], body, SetStepDetail(step_from_block(body), assignee=selected_user(body)))


def step_more(ack, body, context):
    """The step's overflow menu: add a note, or mark it not applicable (each opens a small modal)."""
    actor(body)
    value = action_value(body)
    step_id, op = int_field(value, "s"), value.get("op")
    if op not in ("note", "na"):
        ack()
        return
    hand_over(ack, context["bcbot"], body, OpenStepForm(trigger_id=trigger_of(body), step_id=step_id, op=op))


def approve_request(ack, body, context):
    submit(ack, context["bcbot"], body, DecideRequest(int_field(action_value(body), "r"), approve=True))


def decline_request(ack, body, context):
    submit(ack, context["bcbot"], body, DecideRequest(int_field(action_value(body), "r"), approve=False))


def plan_selected(ack, body, context):
    person = actor(body)
    view = body.get("view") or {}
    plan_id, modal = selected_value(body), view_id(view)
    if modal is None:
        raise InvalidInput("This form's data is not valid; please open it again.")
    view_hash = view.get("hash") if isinstance(view.get("hash"), str) else None
    hand_over(ack, context["bcbot"], body, SwitchPlan(view_id=modal, view_hash=view_hash, plan_id=plan_id,
                                                      user_id=person.user_id, exercise=modal_meta(view).exercise),
              urgent=False)


def _open_incident_form(ack, body, context, form: str) -> None:
    """The incident header's form buttons all carry the incident ID."""
    person = actor(body)
    incident_id = int_field(action_value(body), "i")
    hand_over(ack, context["bcbot"], body, OpenIncidentForm(trigger_id=trigger_of(body), incident_id=incident_id,
                                                            user_id=person.user_id, form=form))


def advance_phase(ack, body, context):
    value = action_value(body)
    from_phase = value.get("from")
    submit(ack, context["bcbot"], body, AdvancePhase(int_field(value, "i"),
                                                     from_phase if isinstance(from_phase, str) else None))


def log_decision(ack, body, context):
    _open_incident_form(ack, body, context, "decision")


def post_update(ack, body, context):
    _open_incident_form(ack, body, context, "update")


def stand_down(ack, body, context):
    _open_incident_form(ack, body, context, "stand_down")


def snooze_nudge(ack, body, context):
    value = action_value(body)
    minutes = value.get("m")
    submit(ack, context["bcbot"], body, SnoozeNudge(int_field(value, "i"),
                                                    minutes if type(minutes) is int else None))


def new_channel(ack, body, context):
    """The lead's **Create a new channel**: the value names the incident and the channel that was deleted."""
    value = action_value(body)
    channel = value.get("c")
    if not isinstance(channel, str) or not channel:
        raise InvalidInput("This button's data is not valid.")
    submit(ack, context["bcbot"], body, NewChannel(int_field(value, "i"), channel[:32]))
