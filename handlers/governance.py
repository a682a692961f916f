"""Plan governance: the buttons of review and test reminders, and the record-test modal.

Mark reviewed, Snooze and the record-test submission change what bcbot records: each is an intent
(bot.usecases.governance, run by the worker). Record test and Start an exercise only open or turn a
modal: deferred calls bound to Slack's trigger or view (bot.worker.governance_modals)."""
from __future__ import annotations

from bot.domain.reminders import local_today
from bot.slack.governance_parse import message_ref, plan_id_of, record_test_form, reminder_ref, trigger_of, view_ref
from bot.slack.ids import Action, Callback
from bot.slack.parse import action_value, actor
from bot.worker import governance_modals
from handlers import submit_intent, teller


def register(app) -> None:
    app.action(Action.MARK_REVIEWED.value)(mark_reviewed)
    app.action(Action.SNOOZE_REMINDER.value)(snooze_reminder)
    app.action(Action.RECORD_TEST.value)(record_test)
    app.action(Action.START_EXERCISE.value)(start_exercise)
    app.view(Callback.RECORD_TEST.value)(test_recorded)


def _reminder_payload(body: dict) -> dict:
    """The reminder a button is about, and the message it was pressed in (to update it)."""
    message = message_ref(body)
    return {"ref": reminder_ref(action_value(body)).payload(), "message": message.payload() if message else None}


def mark_reviewed(ack, body, context):
    submit_intent(ack, context["bcbot"], body, kind="mark_reviewed", payload=_reminder_payload(body))


def snooze_reminder(ack, body, context):
    submit_intent(ack, context["bcbot"], body, kind="snooze_reminder", payload=_reminder_payload(body))


def record_test(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    ref = reminder_ref(action_value(body))
    trigger_id = trigger_of(body)
    ack()
    bot.defer(governance_modals.open_record_test, plan_id=ref.plan_id, user_id=person.user_id, trigger_id=trigger_id,
              tell=teller(bot, body), urgent=True)


def start_exercise(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    plan_id = plan_id_of(action_value(body))
    view_id, view_hash = view_ref(body)
    ack()
    bot.defer(governance_modals.start_exercise, plan_id=plan_id, user_id=person.user_id, view_id=view_id,
              view_hash=view_hash, tell=teller(bot, body))


def test_recorded(ack, body, view, context):
    bot = context["bcbot"]
    form = record_test_form(view, today=local_today(bot.clock(), bot.settings.timezone))  # field errors
    submit_intent(ack, bot, body, kind="record_test", payload={"form": form.payload()})
