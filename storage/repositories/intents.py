"""Intents: what people asked for, recorded before the ack and run once (see docs/durable-road.md)."""
from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.domain.outbox import ClaimedIntent
from storage import models as m
from storage.repositories._common import rowcount

RECEIVED, DONE, FAILED = "received", "done", "failed"


def record_intent(connection: Connection, **fields) -> tuple[int, bool]:
    """(ID, whether it is new): a second intent with the same key records nothing and gets the first's ID."""
    return record_intents(connection, [fields])[0]


def record_intents(connection: Connection, batch: list[dict]) -> list[tuple[int, bool]]:
    """Each intent's (ID, whether it is new), in order, in one INSERT (and one SELECT for keys already
    recorded). On a bare connection, so the ack path pays for the insert, not for an ORM session."""
    i = m.Intent
    insert = postgresql.insert(i) if connection.dialect.name == "postgresql" else sqlite.insert(i)
    rows = [{"kind": f["kind"], "actor": f["actor"], "payload": f["payload"], "dedupe_key": f["dedupe_key"],
             "tell": f["tell"], "status": RECEIVED, "attempts": 0, "created_at": f["now"]} for f in batch]
    inserted = {key: intent_id for intent_id, key in
                connection.execute(insert.values(rows).on_conflict_do_nothing().returning(i.id, i.dedupe_key))}
    missing = [f["dedupe_key"] for f in batch if f["dedupe_key"] not in inserted]
    known = dict(connection.execute(select(i.dedupe_key, i.id).where(i.dedupe_key.in_(missing))).all()) \
        if missing else {}
    results, answered = [], set()
    for f in batch:
        key = f["dedupe_key"]
        new = key in inserted and key not in answered  # a key twice in one group: the first is the new one
        answered.add(key)
        results.append((inserted[key] if key in inserted else known[key], new))
    return results


class IntentRepository:
    def __init__(self, session: Session):
        self.s = session

    def record(self, *, kind: str, actor: str | None, payload: dict, dedupe_key: str, tell: dict,
               now: datetime) -> tuple[int, bool]:
        """(ID, whether it is new): a second intent with the same key records nothing and gets the first's ID."""
        return record_intent(self.s.connection(), kind=kind, actor=actor, payload=payload, dedupe_key=dedupe_key,
                             tell=tell, now=now)

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

    def adopt(self, taken: ClaimedIntent, created_at: datetime, until: datetime) -> ClaimedIntent | None:
        """An intent from the intake, recorded here by its key in the transaction that runs it (so the
        intake row may go once this commits); None when its key is here already (it ran, or was refused)."""
        i = m.Intent
        insert = postgresql.insert(i) if self.s.bind and self.s.bind.dialect.name == "postgresql" else sqlite.insert(i)
        intent_id = self.s.scalar(insert.values(
            kind=taken.kind, actor=taken.actor, payload=taken.payload, dedupe_key=taken.dedupe_key, tell=taken.tell,
            status=RECEIVED, attempts=taken.attempts, claimed_until=until, created_at=created_at,
        ).on_conflict_do_nothing().returning(i.id))
        return None if intent_id is None else ClaimedIntent(
            id=intent_id, kind=taken.kind, actor=taken.actor, payload=taken.payload, tell=taken.tell,
            attempts=taken.attempts, dedupe_key=taken.dedupe_key)

    def finish(self, intent_id: int, *, status: str, now: datetime, outcome: str | None = None) -> bool:
        """Mark it done or failed; False if somebody else already finished it."""
        i = m.Intent
        result = self.s.execute(update(i).where(i.id == intent_id, i.status == RECEIVED)
                                .values(status=status, done_at=now, outcome=outcome, claimed_until=None))
        return bool(rowcount(result))

    def failed_attempt(self, intent_id: int, *, retry_at: datetime) -> None:
        """An attempt that crashed: counted (an intent that keeps crashing is given up), tried again after `retry_at`."""
        i = m.Intent
        self.s.execute(update(i).where(i.id == intent_id, i.status == RECEIVED)
                       .values(attempts=i.attempts + 1, claimed_until=retry_at))

    def unfinished(self, now: datetime, limit: int = 200, *, older_than: timedelta = timedelta(seconds=2)) -> list[int]:
        """Intents not done, oldest first: recorded over `older_than` ago (younger ones are on their way
        to a worker over the pipe) and not waiting out a retry pause."""
        i = m.Intent
        return list(self.s.scalars(select(i.id).where(i.status == RECEIVED, i.created_at < now - older_than,
                                                      or_(i.claimed_until.is_(None), i.claimed_until < now))
                                   .order_by(i.created_at, i.id).limit(limit)))

    def status(self, intent_id: int) -> str | None:
        return self.s.scalar(select(m.Intent.status).where(m.Intent.id == intent_id))


class IntentWriter:
    """The ack path's one write, committed in groups: each request thread queues its intent and waits;
    whichever finds no write under way writes everything queued in one transaction, and again while
    more arrived. A burst of clicks takes the database's write lock a few times, not once per click
    (under SQLite, each lock hold also pays for the GIL between its statements: measured in bench/)."""

    intake = False  # the IDs it returns are `intents` rows' (on SQLite files: storage/intake.py instead)

    def __init__(self, engine: Engine):
        self.engine = engine  # the database the ack path writes to (tests fill it to see a full disk refused)
        self._lock = threading.Lock()
        self._queued: list[tuple[dict, Future[tuple[int, bool]]]] = []
        self._writing = False

    def __call__(self, **fields) -> tuple[int, bool]:
        """(ID, whether it is new) of the intent, once it is committed."""
        done: Future[tuple[int, bool]] = Future()
        with self._lock:
            self._queued.append((fields, done))
            lead, self._writing = not self._writing, True
        if lead:
            self._write_queued()
        return done.result()

    def _write_queued(self) -> None:
        while True:
            with self._lock:
                batch, self._queued = self._queued, []
                if not batch:
                    self._writing = False
                    return
            try:
                with self.engine.begin() as connection:
                    results = record_intents(connection, [fields for fields, _ in batch])
            except OperationalError as err:  # the database is locked or away: every intent is refused at once
                for _, done in batch:
                    done.set_exception(err)
            except Exception:
                self._write_one_by_one(batch)  # one bad intent does not fail the others
            else:
                for (_, done), result in zip(batch, results, strict=True):
                    done.set_result(result)

    def _write_one_by_one(self, batch: list[tuple[dict, Future[tuple[int, bool]]]]) -> None:
        for fields, done in batch:
            try:
                with self.engine.begin() as connection:
                    done.set_result(record_intent(connection, **fields))
            except Exception as err:
                done.set_exception(err)
