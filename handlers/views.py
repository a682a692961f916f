"""Modal submissions: validate (field errors keep the modal open), record, ack."""
from __future__ import annotations

from bot.domain.commands import LogDecision, PostUpdate, SetStep, SetStepDetail, StandDown, SubmitActivation
from bot.domain.errors import InvalidInput
from bot.domain.records import StepStatus
from bot.domain.reminders import local_today
from bot.domain.text import REASON_MAX
from bot.slack.action_parse import action_rows
from bot.slack.ids import Callback
from bot.slack.parse import (
    activation_form,
    decision_input,
    exercise_report,
    modal_text,
    private_int,
    recovered_times,
    update_input,
    view_id,
)
from handlers import submit


def register(app) -> None:
    app.view(Callback.ACTIVATION.value)(activation_submitted)
    app.view(Callback.STEP_NOTE.value)(step_note_submitted)
    app.view(Callback.STEP_NA.value)(step_na_submitted)
    app.view(Callback.DECISION.value)(decision_submitted)
    app.view(Callback.STATUS_UPDATE.value)(update_submitted)
    app.view(Callback.STAND_DOWN.value)(stand_down_submitted)


def activation_submitted(ack, body, view, context):
    bot = context["bcbot"]
    form = activation_form(view, bot.plans.plans)  # InvalidInput -> field errors (app.error)
    modal = view_id(view)
    if modal is None:  # the view ID is what makes a replayed submission record once
        raise InvalidInput("This form's data is not valid; please open it again.")
    submit(ack, bot, body, SubmitActivation(form=form, view_id=modal))


def step_note_submitted(ack, body, view, context):
    submit(ack, context["bcbot"], body, SetStepDetail(private_int(view, "s"), note=modal_text(view)))


def step_na_submitted(ack, body, view, context):
    step_id = private_int(view, "s")
    reason = modal_text(view, required_message="Say why this step does not apply.", limit=REASON_MAX)
    submit(ack, context["bcbot"], body, SetStep(step_id, StepStatus.NOT_APPLICABLE, reason=reason))


def decision_submitted(ack, body, view, context):
    submit(ack, context["bcbot"], body, LogDecision(private_int(view, "i"), decision_input(view)))


def update_submitted(ack, body, view, context):
    submit(ack, context["bcbot"], body, PostUpdate(private_int(view, "i"), update_input(view)))


def stand_down_submitted(ack, body, view, context):
    incident_id = private_int(view, "i")
    summary = modal_text(view, required_message="Add a short closing summary.")
    bot = context["bcbot"]
    actions = action_rows(view, today=local_today(bot.clock(), bot.settings.timezone))  # field errors
    submit(ack, bot, body, StandDown(incident_id, summary, exercise_report=exercise_report(view), actions=actions,
                                     recovered=recovered_times(view)))
