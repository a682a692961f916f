"""Thin Slack listeners, one module per surface. Each acks, parses, calls one use case."""
from __future__ import annotations

import logging

from bot.domain.errors import BcbotError
from bot.slack.parse import actor, dedupe_key
from bot.usecases import intents
from bot.usecases.ports import Bcbot, Teller
from bot.worker import modals
from bot.worker.intents import process_intent

log = logging.getLogger("bcbot.handlers")


def teller(bot: Bcbot, body: dict) -> Teller:
    """How to tell this person something after the ack: the response_url if there is one, else a DM."""
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url and bot.slack.is_response_url(response_url):
        return Teller(response_url=response_url)

    try:
        return Teller(user_id=actor(body).user_id)
    except BcbotError:
        return Teller()


def submit_intent(ack, bot: Bcbot, body: dict, *, kind: str, payload: dict, **ack_args) -> None:
    """The listener side of the durable road: record the person's intent (keyed, so a double submit
    or a replay records once), ack, then hand it to the worker. See docs/durable-road.md."""

    person = actor(body)
    tell = teller(bot, body)
    told = {k: v for k, v in (("response_url", tell.response_url), ("user_id", tell.user_id)) if v}
    intent_id, new = intents.record(bot, kind=kind, actor=person.user_id, payload=payload,
                                    dedupe_key=dedupe_key(body), tell=told)
    ack(**ack_args)
    if new:
        bot.defer(process_intent, intent_id=intent_id)
    else:
        log.info("%s: already recorded as intent %s (a retry or a replay), so recorded once", kind, intent_id)


def open_activation_modal(ack, body, context):
    """App Home's Activate button and the global shortcut: the same modal as /activate."""

    bot = context["bcbot"]
    person = actor(body)
    trigger_id = body.get("trigger_id", "")
    ack()
    bot.defer(modals.open_activation, trigger_id=trigger_id, user_id=person.user_id, tell=teller(bot, body), urgent=True)
