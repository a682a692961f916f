"""Thin Slack listeners, one module per surface. Each acks, parses, calls one use case."""
from __future__ import annotations

from bot.domain.errors import BcbotError
from bot.usecases.ports import Bcbot, Teller


def teller(bot: Bcbot, body: dict) -> Teller:
    """How to tell this person something after the ack: the response_url if there is one, else a DM."""
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url and bot.slack.is_response_url(response_url):
        return Teller(response_url=response_url)
    from bot.slack.parse import actor

    try:
        return Teller(user_id=actor(body).user_id)
    except BcbotError:
        return Teller()


def open_activation_modal(ack, body, context):
    """App Home's Activate button and the global shortcut: the same modal as /activate."""
    from bot.slack.parse import actor
    from bot.worker import modals

    bot = context["bcbot"]
    person = actor(body)
    trigger_id = body.get("trigger_id", "")
    ack()
    bot.defer(modals.open_activation, trigger_id=trigger_id, user_id=person.user_id, tell=teller(bot, body), urgent=True)
