"""Global shortcut: activate the plan from Slack's shortcut menu."""
from __future__ import annotations

from bot import modals
from bot.ids import Callback
from bot.payloads import actor
from handlers import teller


def register(app) -> None:
    app.shortcut(Callback.SHORTCUT_ACTIVATE.value)(activate_shortcut)


def activate_shortcut(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    trigger_id = body.get("trigger_id", "")
    ack()
    bot.background.submit(lambda: modals.open_activation(bot, trigger_id=trigger_id, user_id=person.user_id),
                          tell=teller(bot, body))
