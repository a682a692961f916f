"""Intents: what people asked for, recorded before the ack and run once (see docs/durable-road.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.domain.outbox import ClaimedIntent
from storage import models as m
from storage.repositories._common import dialect_insert

RECEIVED, DONE, FAILED = "received", "done", "failed"


class IntentRepository:
    def __init__(self, session: Session):
        self.s = session

    def record(self, *, kind: str, actor: str | None, payload: dict, dedupe_key: str, tell: dict,
               now: datetime) -> tuple[int, bool]:
        """(ID, whether it is new): a second intent with the same key records nothing and gets the first's ID."""
        i = m.Intent
        new_id = self.s.scalar(
            dialect_insert(self.s, i).values(kind=kind, actor=actor, payload=payload, dedupe_key=dedupe_key,
                                             tell=tell, status=RECEIVED, attempts=0, created_at=now)
            .on_conflict_do_nothing().returning(i.id))
        if new_id is not None:
            return new_id, True
        existing = self.s.scalar(select(i.id).where(i.dedupe_key == dedupe_key))
        assert existing is not None  # the conflict was on this key
        return existing, False

    def claim(self, intent_id: int, now: datetime, until: datetime) -> ClaimedIntent | None:
        i = m.Intent
        row = self.s.execute(
            update(i).where(i.id == intent_id, i.status == RECEIVED,
                            or_(i.claimed_until.is_(None), i.claimed_until < now))
            .values(attempts=i.attempts + 1, claimed_until=until)
            .returning(i.kind, i.actor, i.payload, i.tell, i.attempts)).first()
        if row is None:
            return None
        return ClaimedIntent(id=intent_id, kind=row.kind, actor=row.actor, payload=dict(row.payload or {}),
                             tell=dict(row.tell or {}), attempts=row.attempts)

    def finish(self, intent_id: int, *, status: str, now: datetime, outcome: str | None = None) -> bool:
        """Mark it done or failed; False if somebody else already finished it."""
        i = m.Intent
        result = self.s.execute(update(i).where(i.id == intent_id, i.status == RECEIVED)
                                .values(status=status, done_at=now, outcome=outcome, claimed_until=None))
        return bool(result.rowcount)

    def release(self, intent_id: int) -> None:
        """Let the sweep try it again at once."""
        i = m.Intent
        self.s.execute(update(i).where(i.id == intent_id, i.status == RECEIVED).values(claimed_until=None))

    def unfinished(self, now: datetime, limit: int = 200) -> list[int]:
        """Intents nobody holds, oldest first."""
        i = m.Intent
        return list(self.s.scalars(select(i.id).where(i.status == RECEIVED,
                                                      or_(i.claimed_until.is_(None), i.claimed_until < now))
                                   .order_by(i.created_at, i.id).limit(limit)))

    def status(self, intent_id: int) -> str | None:
        return self.s.scalar(select(m.Intent.status).where(m.Intent.id == intent_id))
