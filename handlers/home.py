"""App Home: its Activate button opens the same modal as /activate; its page buttons re-publish it."""
from __future__ import annotations

from bot.slack.governance_parse import plan_id_of, trigger_of
from bot.slack.ids import Action
from bot.slack.parse import action_value, actor, home_page
from bot.worker import home as app_home
from bot.worker import modals
from handlers import open_activation_modal, teller


def register(app) -> None:
    app.action(Action.OPEN_ACTIVATION.value)(open_activation_modal)
    app.action(Action.HOME_OLDER.value)(show_page)
    app.action(Action.HOME_LATEST.value)(show_page)
    app.action(Action.VIEW_PLAN.value)(view_plan)


def view_plan(ack, body, context):
    """View plan (App Home, review reminders): the plan in a modal, for anyone."""
    bot = context["bcbot"]
    person = actor(body)
    plan_id = plan_id_of(action_value(body))
    trigger_id = trigger_of(body)
    ack()
    bot.defer(modals.open_plan, trigger_id=trigger_id, plan_id=plan_id, tell=teller(bot, body), urgent=True,
              user_id=person.user_id)


def show_page(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    page = home_page(body)  # the page lives only in the button: restart-safe
    ack()
    bot.defer(app_home.publish_home, user_id=person.user_id, page=page, tell=teller(bot, body))
