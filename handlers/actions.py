"""Buttons and selects in messages and modals."""
from __future__ import annotations

from bot import activation, checklist, modals
from bot.ids import Action
from bot.payloads import action_value, actor, int_field, modal_meta
from bot.records import StepStatus
from handlers import teller


def register(app) -> None:
    app.action(Action.STEP_DONE.value)(step_done)
    app.action(Action.STEP_REOPEN.value)(step_reopen)
    app.action(Action.APPROVE_REQUEST.value)(approve_request)
    app.action(Action.DECLINE_REQUEST.value)(decline_request)
    app.action(Action.PLAN_SELECTED.value)(plan_selected)


def _set_step(ack, body, context, status: StepStatus):
    bot = context["bcbot"]
    person = actor(body)
    step_id = int_field(action_value(body), "s")
    ack()
    bot.background.submit(lambda: checklist.set_step(bot, step_id=step_id, user_id=person.user_id, status=status),
                          tell=teller(bot, body))


def step_done(ack, body, context):
    _set_step(ack, body, context, StepStatus.DONE)


def step_reopen(ack, body, context):
    _set_step(ack, body, context, StepStatus.OPEN)


def _decide(ack, body, context, approve: bool):
    bot = context["bcbot"]
    person = actor(body)
    request_id = int_field(action_value(body), "r")
    ack()
    bot.background.submit(
        lambda: activation.decide_request(bot, request_id=request_id, user_id=person.user_id, approve=approve),
        tell=teller(bot, body),
    )


def approve_request(ack, body, context):
    _decide(ack, body, context, True)


def decline_request(ack, body, context):
    _decide(ack, body, context, False)


def plan_selected(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    view = body.get("view") or {}
    plan_id = ((body.get("actions") or [{}])[0].get("selected_option") or {}).get("value", "")
    ack()
    bot.background.submit(lambda: modals.switch_plan(
        bot, view_id=view.get("id", ""), view_hash=view.get("hash"), plan_id=plan_id, user_id=person.user_id,
        exercise=modal_meta(view).exercise))
