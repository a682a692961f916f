"""App Home: its Activate button opens the same modal as /activate."""
from __future__ import annotations

from bot import modals
from bot.ids import Action
from bot.payloads import actor
from handlers import teller


def register(app) -> None:
    app.action(Action.OPEN_ACTIVATION.value)(open_activation)


def open_activation(ack, body, context):
    bot = context["bcbot"]
    person = actor(body)
    trigger_id = body.get("trigger_id", "")
    ack()
    bot.background.submit(lambda: modals.open_activation(bot, trigger_id=trigger_id, user_id=person.user_id),
                          tell=teller(bot, body))
