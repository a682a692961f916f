"""App Home: its Activate button opens the same modal as /activate; its page buttons re-publish it."""
from __future__ import annotations

from bot import app_home, modals
from bot.ids import Action
from bot.payloads import action_value, actor
from bot.render_home import HomePage
from handlers import teller


def register(app) -> None:
    app.action(Action.OPEN_ACTIVATION.value)(open_activation)
    app.action(Action.HOME_OLDER.value)(show_page)
    app.action(Action.HOME_LATEST.value)(show_page)


def open_activation(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    trigger_id = body.get("trigger_id", "")
    ack()
    bot.background.submit(lambda: modals.open_activation(bot, trigger_id=trigger_id, user_id=person.user_id),
                          tell=teller(bot, body), urgent=True)


def show_page(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    page = HomePage.from_value(action_value(body))  # the page lives only in the button: restart-safe
    ack()
    bot.background.submit(lambda: app_home.publish_home(bot, user_id=person.user_id, page=page),
                          tell=teller(bot, body))
