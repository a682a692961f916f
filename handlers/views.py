"""Modal submissions: validate (field errors keep the modal open), ack, then do the work."""
from __future__ import annotations

import logging
from dataclasses import asdict

from bot.usecases import activation
from bot.usecases import checklist
from bot.usecases import incident as incident_ops
from bot.slack.ids import Callback
from bot.slack.parse import (activation_form, actor, decision_input, exercise_report, modal_text, private_int,
                          update_input, view_id)
from bot.domain.records import StepStatus
from handlers import submit_intent, teller

log = logging.getLogger("bcbot")


def register(app) -> None:
    app.view(Callback.ACTIVATION.value)(activation_submitted)
    app.view(Callback.STEP_NOTE.value)(step_note_submitted)
    app.view(Callback.STEP_NA.value)(step_na_submitted)
    app.view(Callback.DECISION.value)(decision_submitted)
    app.view(Callback.STATUS_UPDATE.value)(update_submitted)
    app.view(Callback.STAND_DOWN.value)(stand_down_submitted)


def activation_submitted(ack, body, view, context):
    bot = context["bcbot"]
    person = actor(body)
    form = activation_form(view, bot.plans.plans)  # InvalidInput -> field errors (app.error)
    request_id = activation.record_request(bot, view_id=view_id(view), requested_by=person.user_id, form=form)
    ack()
    if request_id is None:  # Slack delivered the same submission twice
        log.info("activation form %s was already submitted: recorded once", view_id(view))
        return
    bot.defer(activation.process_request, request_id=request_id, tell=teller(bot, body))


def step_note_submitted(ack, body, view, context):
    bot = context["bcbot"]
    person = actor(body)
    step_id, note = private_int(view, "s"), modal_text(view)
    ack()
    bot.defer(checklist.set_step_detail, step_id=step_id, user_id=person.user_id, note=note, tell=teller(bot, body))


def step_na_submitted(ack, body, view, context):
    bot = context["bcbot"]
    person = actor(body)
    step_id = private_int(view, "s")
    reason = modal_text(view, required_message="Say why this step does not apply.")
    ack()
    bot.defer(checklist.set_step, step_id=step_id, user_id=person.user_id, status=StepStatus.NOT_APPLICABLE,
              reason=reason, tell=teller(bot, body))


def decision_submitted(ack, body, view, context):
    incident_id, entry = private_int(view, "i"), decision_input(view)
    submit_intent(ack, context["bcbot"], body, kind="log_decision",
                  payload={"incident_id": incident_id, "entry": asdict(entry)})


def update_submitted(ack, body, view, context):
    incident_id, update = private_int(view, "i"), update_input(view)
    submit_intent(ack, context["bcbot"], body, kind="post_update",
                  payload={"incident_id": incident_id, "update": asdict(update)})


def stand_down_submitted(ack, body, view, context):
    bot = context["bcbot"]
    person = actor(body)
    incident_id = private_int(view, "i")
    summary = modal_text(view, required_message="Add a short closing summary.")
    report = exercise_report(view)
    ack()
    bot.defer(incident_ops.stand_down, incident_id=incident_id, user_id=person.user_id, closing_summary=summary,
              exercise_report=report, tell=teller(bot, body))
