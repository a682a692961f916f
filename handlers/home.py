"""App Home: its Activate button opens the same modal as /activate; its page buttons re-publish it."""
from __future__ import annotations

from bot.slack.ids import Action
from bot.slack.parse import actor, home_page
from bot.worker import home as app_home
from handlers import open_activation_modal, teller


def register(app) -> None:
    app.action(Action.OPEN_ACTIVATION.value)(open_activation_modal)
    app.action(Action.HOME_OLDER.value)(show_page)
    app.action(Action.HOME_LATEST.value)(show_page)


def show_page(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    page = home_page(body)  # the page lives only in the button: restart-safe
    ack()
    bot.defer(app_home.publish_home, user_id=person.user_id, page=page, tell=teller(bot, body))
