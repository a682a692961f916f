"""The one write on the ack path: what a person asked for, keyed so that a replay records once."""
from __future__ import annotations

from bot.usecases.ports import Bcbot


def record(bot: Bcbot, *, kind: str, actor: str | None, payload: dict, dedupe_key: str,
           tell: dict) -> tuple[int, bool]:
    """(intent ID, whether it is new), in one short transaction before the ack."""
    if bot.record_intent is not None:
        return bot.record_intent(kind=kind, actor=actor, payload=payload, dedupe_key=dedupe_key, tell=tell,
                                 now=bot.clock())
    with bot.uow() as uow:
        recorded = uow.intents.record(kind=kind, actor=actor, payload=payload, dedupe_key=dedupe_key, tell=tell,
                                      now=bot.clock())
        uow.commit()
    return recorded
