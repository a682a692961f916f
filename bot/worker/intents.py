"""Running recorded intents: each once, in one unit of work with everything it owes Slack.

The pipe from the server is the fast path; `sweep_intents` takes over any intent a dead worker or
server left unfinished. A refusal (a `BcbotError`) changes nothing but marks the intent failed and owes
the person the words, in one transaction. A busy or absent database leaves the intent for the sweep.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from bot.bcbot import Bcbot
from bot.domain.commands import Command, ViewRequest, decode
from bot.domain.errors import BcbotError, explain, is_database_busy
from bot.domain.outbox import ClaimedIntent, Task, intent_subject
from bot.usecases.registry import USE_CASES
from bot.worker.outbox import wall_clock

log = logging.getLogger("bcbot.intents")
MAX_INTENT_ATTEMPTS = 5  # an intent whose use case keeps crashing is refused, not retried for ever
RETRY_PAUSE = timedelta(seconds=1)


def process_intent(bot: Bcbot, *, intent_id: int, from_intake: bool = False) -> None:
    """Take the intent and run its use case in one transaction (a second worker taking the same intent
    waits for the first's commit, then finds it done): one write transaction per intent, not three.

    `from_intake`: `intent_id` is an intake row's (storage/intake.py). The transaction that runs it also
    records its key in `intents`; the intake row goes only after that commits."""
    now = wall_clock()
    waiting = None
    if from_intake:
        assert bot.intake is not None
        waiting = bot.intake.get(intent_id)
        if waiting is None:
            return  # run and forgotten (the pipe and the sweep both brought it)
    until = now + timedelta(seconds=bot.settings.bcbot_lease_seconds)
    intent = None
    try:
        with bot.uow() as uow:
            intent = uow.intents.adopt(waiting[0], waiting[1], until) if waiting else uow.intents.claim(intent_id, now, until)
            if intent is None:  # done, refused, or waiting out its retry pause
                uow.rollback()
                _forget(bot, intent_id, from_intake)
                return
            command = _command(intent.kind, intent.payload)
            use_case = USE_CASES.get(type(command)) if isinstance(command, Command) else None
            if use_case is None or intent.attempts > MAX_INTENT_ATTEMPTS:
                log.error("intent %s (%s) cannot be run: %s", intent.id, intent.kind,
                          "unknown kind or bad data" if use_case is None else f"failed {intent.attempts - 1} times")
                message = ("Something went wrong and nothing was changed. Please try again; if it keeps happening, "
                           f"give your admin error id intent-{intent.id}.")
                uow.rollback()
                _refuse(bot, intent, message, waiting)
                _forget(bot, intent_id, from_intake)
                return
            uow.outbox.serving(intent.id, intent.actor)  # whom to tell if Slack refuses its effects for good
            use_case(bot, uow, command, actor=intent.actor)
            uow.intents.finish(intent.id, status="done", now=bot.clock())
            uow.commit()
        _forget(bot, intent_id, from_intake)
    except BcbotError as err:
        assert intent is not None
        _refuse(bot, intent, explain(err, log), waiting)
        _forget(bot, intent_id, from_intake)
    except Exception as err:
        # Nothing was committed. A busy database is waited out; anything else is tried a few times.
        if is_database_busy(err):
            log.warning("intent %s waits for the database: %s", intent_id, str(err).splitlines()[0][:200])
        else:
            log.exception("intent %s failed (attempt %d)", intent_id, intent.attempts if intent else 0)
        if intent is not None:
            try:
                retry_at = wall_clock() + RETRY_PAUSE
                if from_intake:
                    assert bot.intake is not None
                    bot.intake.failed_attempt(intent_id, retry_at=retry_at)
                else:
                    with bot.uow() as uow:
                        uow.intents.failed_attempt(intent_id, retry_at=retry_at)
                        uow.commit()
            except Exception:
                pass  # the sweep tries it again


def _forget(bot: Bcbot, intake_id: int, from_intake: bool) -> None:
    """The main database has the intent's outcome: its intake row has served. A failure here leaves the
    row for the sweep, which finds its key known and forgets it then."""
    if from_intake and bot.intake is not None:
        try:
            bot.intake.forget(intake_id)
        except Exception as err:
            log.warning("intake row %s stays for the sweep: %s", intake_id, str(err).splitlines()[0][:200])


def _command(kind: str, payload: dict) -> Command | ViewRequest | None:
    try:
        return decode(kind, payload)
    except (KeyError, ValueError):  # a kind this code does not know, or data it cannot read
        return None


def _refuse(bot: Bcbot, intent: ClaimedIntent, message: str,
            waiting: tuple[ClaimedIntent, datetime] | None) -> None:
    """The intent failed, and the person is owed the words, in one transaction. One from the intake is
    recorded in `intents` first (the run that adopted it was rolled back)."""
    with bot.uow() as uow:
        if waiting is not None:
            adopted = uow.intents.adopt(waiting[0], waiting[1], wall_clock())
            if adopted is None:
                return  # another worker settled it meanwhile
            intent = adopted
        if uow.intents.finish(intent.id, status="failed", now=bot.clock(), outcome=message[:2000]) and intent.tell:
            uow.outbox.add(intent_subject(intent.id), [Task("tell", args={**intent.tell, "text": message})],
                           bot.clock())
        uow.commit()


def sweep_intents(bot: Bcbot) -> int:
    """Run the intents nobody holds (left by a dead worker, or recorded by a server that died before
    it handed them over): in the intake, and in `intents` (PostgreSQL, or an older bot's)."""
    now = wall_clock()
    with bot.uow(read_only=True) as uow:
        ids = uow.intents.unfinished(now)
    for intent_id in ids:
        bot.background.submit(partial(process_intent, bot, intent_id=intent_id), intents=True)
    waiting = []
    if bot.intake is not None:
        bot.intake.flush()
        waiting = bot.intake.unfinished(now)
    for intake_id in waiting:
        bot.background.submit(partial(process_intent, bot, intent_id=intake_id, from_intake=True), intents=True)
    return len(ids) + len(waiting)
