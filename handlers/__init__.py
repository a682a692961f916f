"""Thin Slack listeners, one module per surface. Each parses what Slack sent into a typed command,
then either records it (`submit`: a change, run once by its use case) or hands it over (`hand_over`:
opening or turning a view, bound to a trigger ID). Neither waits for Slack; both ack first."""
from __future__ import annotations

import logging
from dataclasses import asdict

from bot.bcbot import Bcbot
from bot.domain.commands import Command, ReplyTo, RunIntent, ViewRequest, encode
from bot.domain.errors import BcbotError
from bot.slack.parse import actor, dedupe_key
from bot.usecases.ports import utcnow

log = logging.getLogger("bcbot.handlers")


def reply_to(bot: Bcbot, body: dict) -> ReplyTo:
    """How to tell this person something after the ack: the response_url if there is one, else a DM."""
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url and bot.slack.is_response_url(response_url):
        return ReplyTo(response_url=response_url)
    try:
        return ReplyTo(user_id=actor(body).user_id)
    except BcbotError:
        return ReplyTo()


def submit(ack, bot: Bcbot, body: dict, command: Command, **ack_args) -> None:
    """The listener side of the durable road: record the command as the person's intent (keyed, so a
    double submit or a replay records once), ack, then hand it to the worker. See docs/durable-road.md."""
    person = actor(body)
    tell = {k: v for k, v in asdict(reply_to(bot, body)).items() if v}
    intent_id, new = bot.record_intent(kind=command.kind, actor=person.user_id, payload=encode(command),
                                       dedupe_key=dedupe_key(body), tell=tell, now=utcnow())
    ack(**ack_args)
    if new:
        bot.send(RunIntent(intent_id, from_intake=bot.record_intent.intake), None, False)
    else:
        log.info("%s: already recorded as intent %s (a retry or a replay), so recorded once", command.kind, intent_id)


def hand_over(ack, bot: Bcbot, body: dict, request: ViewRequest, *, urgent: bool = True) -> None:
    """Ack, then have the worker open or turn a view (`urgent`: bound to a trigger ID that lives 3 s)."""
    ack()
    bot.send(request, reply_to(bot, body), urgent)
