"""The one write on the ack path: what a person asked for, keyed so that a replay records once."""
from __future__ import annotations

from bot.usecases.ports import Bcbot, utcnow


def record(bot: Bcbot, *, kind: str, actor: str | None, payload: dict, dedupe_key: str,
           tell: dict) -> tuple[int, bool]:
    """(intent ID, whether it is new), in one short transaction before the ack. Stamped with the wall
    clock, not the bot's business clock: the sweep compares it with real time."""
    if bot.record_intent is not None:
        return bot.record_intent(kind=kind, actor=actor, payload=payload, dedupe_key=dedupe_key, tell=tell,
                                 now=utcnow())
    with bot.uow() as uow:
        recorded = uow.intents.record(kind=kind, actor=actor, payload=payload, dedupe_key=dedupe_key, tell=tell,
                                      now=utcnow())
        uow.commit()
    return recorded
