"""Running recorded intents: each once, in one unit of work with everything it owes Slack.

The pipe from the server is the fast path; `sweep_intents` takes over any intent a dead worker or
server left unfinished. A refusal (a `BcbotError`) changes nothing but marks the intent failed and owes
the person the words, in one transaction. A busy or absent database leaves the intent for the sweep.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from bot.bcbot import Bcbot
from bot.domain.commands import Command, ViewRequest, decode
from bot.domain.errors import BcbotError, explain, is_database_busy
from bot.domain.outbox import Task, intent_subject
from bot.usecases.registry import USE_CASES
from bot.worker.outbox import wall_clock

log = logging.getLogger("bcbot.intents")
MAX_INTENT_ATTEMPTS = 5  # an intent whose use case keeps crashing is refused, not retried for ever
RETRY_PAUSE = timedelta(seconds=1)


def process_intent(bot: Bcbot, *, intent_id: int) -> None:
    """Take the intent and run its use case in one transaction (a second worker taking the same intent
    waits for the first's commit, then finds it done): one write transaction per intent, not three."""
    now = wall_clock()
    intent = None
    try:
        with bot.uow() as uow:
            intent = uow.intents.claim(intent_id, now, now + timedelta(seconds=bot.settings.bcbot_lease_seconds))
            if intent is None:
                return  # done, refused, or waiting out its retry pause
            command = _command(intent.kind, intent.payload)
            use_case = USE_CASES.get(type(command)) if isinstance(command, Command) else None
            if use_case is None or intent.attempts > MAX_INTENT_ATTEMPTS:
                log.error("intent %s (%s) cannot be run: %s", intent.id, intent.kind,
                          "unknown kind or bad data" if use_case is None else f"failed {intent.attempts - 1} times")
                message = ("Something went wrong and nothing was changed. Please try again; if it keeps happening, "
                           f"give your admin error id intent-{intent.id}.")
                uow.rollback()
                _refuse(bot, intent.id, intent.tell, message)
                return
            uow.outbox.serving(intent.id, intent.actor)  # whom to tell if Slack refuses its effects for good
            use_case(bot, uow, command, actor=intent.actor)
            uow.intents.finish(intent.id, status="done", now=bot.clock())
            uow.commit()
    except BcbotError as err:
        assert intent is not None
        _refuse(bot, intent.id, intent.tell, explain(err, log))
    except Exception as err:
        # Nothing was committed. A busy database is waited out; anything else is tried a few times.
        if is_database_busy(err):
            log.warning("intent %s waits for the database: %s", intent_id, str(err).splitlines()[0][:200])
        else:
            log.exception("intent %s failed (attempt %d)", intent_id, intent.attempts if intent else 0)
        if intent is not None:
            try:
                with bot.uow() as uow:
                    uow.intents.failed_attempt(intent_id, retry_at=wall_clock() + RETRY_PAUSE)
                    uow.commit()
            except Exception:
                pass  # the sweep tries it again


def _command(kind: str, payload: dict) -> Command | ViewRequest | None:
    try:
        return decode(kind, payload)
    except (KeyError, ValueError):  # a kind this code does not know, or data it cannot read
        return None


def _refuse(bot: Bcbot, intent_id: int, tell: dict, message: str) -> None:
    with bot.uow() as uow:
        if uow.intents.finish(intent_id, status="failed", now=bot.clock(), outcome=message[:2000]) and tell:
            uow.outbox.add(intent_subject(intent_id), [Task("tell", args={**tell, "text": message})], bot.clock())
        uow.commit()


def sweep_intents(bot: Bcbot) -> int:
    """Run the intents nobody holds (left by a dead worker, or recorded by a server that died before
    it handed them over)."""
    with bot.uow(read_only=True) as uow:
        ids = uow.intents.unfinished(wall_clock())
    for intent_id in ids:
        bot.background.submit(partial(process_intent, bot, intent_id=intent_id))
    return len(ids)
