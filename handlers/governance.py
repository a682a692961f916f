"""Plan governance: the buttons of review and test reminders, and the record-test modal.

Mark reviewed, Snooze and the record-test submission change what bcbot records: each is a recorded
command. Record test and Start an exercise only open or turn a modal (handed over, never recorded)."""
from __future__ import annotations

from bot.domain.commands import MarkReviewed, OpenRecordTest, RecordTest, SnoozeReminder, StartExercise
from bot.domain.reminders import local_today
from bot.slack.governance_parse import message_ref, plan_id_of, record_test_form, reminder_ref, trigger_of, view_ref
from bot.slack.ids import Action, Callback
from bot.slack.parse import action_value, actor
from handlers import hand_over, submit


def register(app) -> None:
    app.action(Action.MARK_REVIEWED.value)(mark_reviewed)
    app.action(Action.SNOOZE_REMINDER.value)(snooze_reminder)
    app.action(Action.RECORD_TEST.value)(record_test)
    app.action(Action.START_EXERCISE.value)(start_exercise)
    app.view(Callback.RECORD_TEST.value)(test_recorded)


def mark_reviewed(ack, body, context):
    submit(ack, context["bcbot"], body, MarkReviewed(reminder_ref(action_value(body)), message_ref(body)))


def snooze_reminder(ack, body, context):
    submit(ack, context["bcbot"], body, SnoozeReminder(reminder_ref(action_value(body)), message_ref(body)))


def record_test(ack, body, context):
    person = actor(body)
    ref = reminder_ref(action_value(body))
    hand_over(ack, context["bcbot"], body, OpenRecordTest(trigger_id=trigger_of(body), plan_id=ref.plan_id,
                                                          user_id=person.user_id))


def start_exercise(ack, body, context):
    person = actor(body)
    plan_id = plan_id_of(action_value(body))
    view_id, view_hash = view_ref(body)
    hand_over(ack, context["bcbot"], body, StartExercise(view_id=view_id, view_hash=view_hash, plan_id=plan_id,
                                                         user_id=person.user_id), urgent=False)


def test_recorded(ack, body, view, context):
    bot = context["bcbot"]
    form = record_test_form(view, today=local_today(bot.clock(), bot.settings.timezone))  # field errors
    submit(ack, bot, body, RecordTest(form))
