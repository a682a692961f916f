"""Buttons and selects in messages and modals."""
from __future__ import annotations

from bot.domain.errors import InvalidInput
from bot.domain.records import StepStatus
from bot.slack.ids import Action
from bot.slack.parse import action_value, actor, int_field, modal_meta, selected_user, selected_value, step_from_block, view_id
from bot.worker import modals
from handlers import submit_intent, teller


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
    app.action(Action.OPEN_CHANNEL.value)(lambda ack: ack())  # a link button: Slack opens the URL


def _set_step(ack, body, context, status: StepStatus):
    step_id = int_field(action_value(body), "s")
    submit_intent(ack, context["bcbot"], body, kind="set_step", payload={"step_id": step_id, "status": status.value})


def step_done(ack, body, context):
    _set_step(ack, body, context, StepStatus.DONE)


def step_reopen(ack, body, context):
    _set_step(ack, body, context, StepStatus.OPEN)


def step_assign(ack, body, context):
    step_id, assignee = step_from_block(body), selected_user(body)
    submit_intent(ack, context["bcbot"], body, kind="set_step_detail", payload={"step_id": step_id, "assignee": assignee})


def step_more(ack, body, context):
    """The step's overflow menu: add a note, or mark it not applicable (each opens a small modal)."""
    bot = context["bcbot"]
    actor(body)
    value = action_value(body)
    step_id, op = int_field(value, "s"), value.get("op")
    trigger_id = body.get("trigger_id", "")
    ack()
    if op in ("note", "na"):
        bot.defer(modals.open_step_modal, trigger_id=trigger_id, step_id=step_id, op=op, tell=teller(bot, body),
                  urgent=True)


def _decide(ack, body, context, approve: bool):
    submit_intent(ack, context["bcbot"], body, kind="decide_request",
                  payload={"request_id": int_field(action_value(body), "r"), "approve": approve})


def approve_request(ack, body, context):
    _decide(ack, body, context, True)


def decline_request(ack, body, context):
    _decide(ack, body, context, False)


def plan_selected(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    view = body.get("view") or {}
    plan_id, modal = selected_value(body), view_id(view)
    if modal is None:
        raise InvalidInput("This form's data is not valid; please open it again.")
    view_hash = view.get("hash") if isinstance(view.get("hash"), str) else None
    ack()
    bot.defer(modals.switch_plan, view_id=modal, view_hash=view_hash, plan_id=plan_id, user_id=person.user_id,
              exercise=modal_meta(view).exercise)


def _incident_button(ack, body, context) -> tuple:
    """The incident header's buttons all carry the incident ID; the work happens after the ack."""
    bot = context["bcbot"]
    person = actor(body)
    value = action_value(body)
    incident_id = int_field(value, "i")
    ack()
    return bot, dict(incident_id=incident_id, user_id=person.user_id, tell=teller(bot, body)), value


def _opens_modal(ack, body, context, open_modal) -> None:
    bot, args, _ = _incident_button(ack, body, context)
    bot.defer(open_modal, trigger_id=body.get("trigger_id", ""), urgent=True, **args)


def advance_phase(ack, body, context):
    value = action_value(body)
    from_phase = value.get("from")
    submit_intent(ack, context["bcbot"], body, kind="advance_phase",
                  payload={"incident_id": int_field(value, "i"),
                           "from_phase": from_phase if isinstance(from_phase, str) else None})


def log_decision(ack, body, context):
    _opens_modal(ack, body, context, modals.open_decision)


def post_update(ack, body, context):
    _opens_modal(ack, body, context, modals.open_update)


def stand_down(ack, body, context):
    _opens_modal(ack, body, context, modals.open_stand_down)


def snooze_nudge(ack, body, context):
    value = action_value(body)
    submit_intent(ack, context["bcbot"], body, kind="snooze_nudge",
                  payload={"incident_id": int_field(value, "i"), "minutes": value.get("m")})
