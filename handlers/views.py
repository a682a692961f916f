"""Modal submissions: validate (field errors keep the modal open), ack, then do the work."""
from __future__ import annotations

import logging
from dataclasses import asdict

from bot.domain.errors import InvalidInput
from bot.domain.records import StepStatus
from bot.slack.ids import Callback
from bot.slack.parse import activation_form, actor, decision_input, exercise_report, modal_text, private_int, update_input, view_id
from bot.usecases import activation
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
    modal = view_id(view)
    if modal is None:  # the view ID is what makes a replayed submission record once
        raise InvalidInput("This form's data is not valid; please open it again.")
    request_id = activation.record_request(bot, view_id=modal, requested_by=person.user_id, form=form)
    ack()
    if request_id is None:  # Slack delivered the same submission twice
        log.info("activation form %s was already submitted: recorded once", view_id(view))
        return
    bot.defer(activation.process_request, request_id=request_id, tell=teller(bot, body))


def step_note_submitted(ack, body, view, context):
    step_id, note = private_int(view, "s"), modal_text(view)
    submit_intent(ack, context["bcbot"], body, kind="set_step_detail", payload={"step_id": step_id, "note": note})


def step_na_submitted(ack, body, view, context):
    step_id = private_int(view, "s")
    reason = modal_text(view, required_message="Say why this step does not apply.")
    submit_intent(ack, context["bcbot"], body, kind="set_step",
                  payload={"step_id": step_id, "status": StepStatus.NOT_APPLICABLE.value, "reason": reason})


def decision_submitted(ack, body, view, context):
    incident_id, entry = private_int(view, "i"), decision_input(view)
    submit_intent(ack, context["bcbot"], body, kind="log_decision",
                  payload={"incident_id": incident_id, "entry": asdict(entry)})


def update_submitted(ack, body, view, context):
    incident_id, update = private_int(view, "i"), update_input(view)
    submit_intent(ack, context["bcbot"], body, kind="post_update",
                  payload={"incident_id": incident_id, "update": asdict(update)})


def stand_down_submitted(ack, body, view, context):
    incident_id = private_int(view, "i")
    summary = modal_text(view, required_message="Add a short closing summary.")
    submit_intent(ack, context["bcbot"], body, kind="stand_down",
                  payload={"incident_id": incident_id, "closing_summary": summary,
                           "exercise_report": exercise_report(view)})
