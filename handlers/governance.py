"""Plan governance: the buttons of review and test reminders, and the record-test modal."""
from __future__ import annotations

from bot.domain.reminders import local_today
from bot.slack.ids import Action, Callback
from bot.slack.parse import action_value, actor
from bot.usecases import plans as governance
from handlers import teller


def register(app) -> None:
    app.action(Action.MARK_REVIEWED.value)(mark_reviewed)
    app.action(Action.SNOOZE_REMINDER.value)(snooze_reminder)
    app.action(Action.RECORD_TEST.value)(record_test)
    app.action(Action.START_EXERCISE.value)(start_exercise)
    app.view(Callback.RECORD_TEST.value)(test_recorded)


def mark_reviewed(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    ref = governance.reminder_ref(action_value(body))
    message = governance.message_ref(body)
    ack()
    bot.defer(governance.mark_reviewed, ref=ref, user_id=person.user_id, message=message, tell=teller(bot, body))


def snooze_reminder(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    ref = governance.reminder_ref(action_value(body))
    message = governance.message_ref(body)
    ack()
    bot.defer(governance.snooze, ref=ref, user_id=person.user_id, message=message, tell=teller(bot, body))


def record_test(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    ref = governance.reminder_ref(action_value(body))
    trigger_id = body.get("trigger_id")
    trigger_id = trigger_id if isinstance(trigger_id, str) and len(trigger_id) <= 200 else ""
    ack()
    bot.defer(governance.open_record_test, plan_id=ref.plan_id, user_id=person.user_id, trigger_id=trigger_id,
              tell=teller(bot, body), urgent=True)


def start_exercise(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    plan_id = governance.plan_id_of(action_value(body))
    view_id, view_hash = governance.view_ref(body)
    ack()
    bot.defer(governance.start_exercise, plan_id=plan_id, user_id=person.user_id, view_id=view_id,
              view_hash=view_hash, tell=teller(bot, body))


def test_recorded(ack, body, view, context):
    bot = context["bcbot"]
    person = actor(body)
    form = governance.record_test_form(view, today=local_today(bot.clock(), bot.settings.timezone))  # field errors
    ack()
    bot.defer(governance.record_test, form=form, user_id=person.user_id, tell=teller(bot, body))
