"""The intake: where the ack path records a person's intent on SQLite, a database file of its own.

SQLite has one writer at a time per file. With intents in the main database, every click waited for the
write lock behind the worker's transactions (a use case, outbox claims and dones): 5x the bare Bolt app's
p95 (bench/README.md). Here the ack path's insert takes only the intake file's lock, which nothing holds
for longer than an insert or a delete.

SQLite does not commit across two files atomically, so the order is what keeps it safe
(docs/durable-road.md): the worker runs an intake row's use case in a transaction of the main database
that also records the intent's key there (`uow.intents.adopt`); only after that commits does the intake
row go (`forget`). A crash between the two leaves the row, whose key the main database already has: the
sweep finds it, `adopt` refuses the known key, and the row is forgotten. Nothing is lost; nothing runs twice.

The file is a queue, not a record: its table is made when it is opened (no migrations), and a row lives
from the ack to the worker's commit. PostgreSQL needs none of this: there the ack path writes `intents`.
"""
from __future__ import annotations

import ctypes
import json
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, TypeVar

from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, Text, delete, event, or_, select, update
from sqlalchemy.engine import make_url

from bot.domain.outbox import ClaimedIntent
from storage import sqlite_direct
from storage.db import READ_ONLY, SQLITE_BUSY_TIMEOUT_MS, make_engine
from storage.models import UtcDateTime
from storage.repositories.intents import RECEIVED
from storage.sqlite_direct import DirectStatement

T = TypeVar("T")

METADATA = MetaData()
INTAKE = Table(
    "intake", METADATA,
    # The columns of `intents`, so one insert serves both (storage.repositories.intents.record_intents).
    Column("id", Integer, primary_key=True),
    Column("kind", String(48), nullable=False),
    Column("actor", String(32)),
    Column("payload", JSON, nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("tell", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("claimed_until", UtcDateTime),  # an attempt crashed: not before this
    Column("outcome", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),
)


def intake_url(database_url: str) -> str | None:
    """`sqlite:///path/bcbot.db` -> `sqlite:///path/bcbot.db-intake`; None for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return str(url.set(database=f"{url.database}-intake"))


_INSERT = ("INSERT INTO intake (kind, actor, payload, dedupe_key, tell, status, attempts, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (dedupe_key) DO NOTHING")


class IntakeWriter:
    """The ack path's one write: one prepared INSERT in autocommit, on a connection of the request thread's
    own, with no ORM or SQL compiler in the way, and the GIL held throughout (storage/sqlite_direct.py;
    through the sqlite3 module where that cannot load).

    A connection per thread, not one shared under a lock: under load the clicks queued on a shared
    connection's lock behind whichever thread held it while waiting for the GIL (2.4 ms at p50 for
    0.09 ms of CPU, bench/README.md §1). Apart, each insert holds only SQLite's own write lock, for the
    tens of microseconds SQLite takes."""

    intake = True  # the IDs it returns are intake rows' (bot.domain.commands.RunIntent.from_intake)

    def __init__(self, path: str, *, direct: bool = True):
        self._path = path
        self._lib = sqlite_direct.load() if direct else None
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the three below, not the writes
        self._opened: list[_ThreadConnections] = []
        self._pragmas: dict[str, str] = {}
        self._closed = False
        self.execute("PRAGMA journal_mode=WAL")

    @property
    def direct(self) -> bool:
        """Whether inserts keep the GIL (storage/sqlite_direct.py)."""
        return self._lib is not None

    def __call__(self, *, kind: str, actor: str | None, payload: dict, dedupe_key: str, tell: dict,
                 now: datetime) -> tuple[int, bool]:
        """(intake ID, whether it is new): the same key again records nothing and gets the first's ID."""
        # As storage.models.UtcDateTime stores it on SQLite: naive UTC text.
        stamp = now.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        row = (kind, actor, json.dumps(payload), dedupe_key, json.dumps(tell), RECEIVED, stamp)
        mine = self._mine()
        changes, row_id = _soon(lambda: mine.insert(row))
        if changes == 1:
            return row_id, True
        [(found,)] = mine.execute("SELECT id FROM intake WHERE dedupe_key = ?", (dedupe_key,))
        return found, False

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Any other statement, on the calling thread's connection: its rows."""
        return self._mine().execute(sql, params)

    def _mine(self) -> _ThreadConnections:
        mine = getattr(self._local, "connections", None)
        if mine is None:
            mine = _ThreadConnections(self._path, self._lib)
            with self._lock:
                if self._closed:
                    mine.close()
                    raise sqlite3.OperationalError(CLOSED)
                self._opened.append(mine)
                for name, value in self._pragmas.items():
                    mine.pragma(name, value)
            self._local.connections = mine
        return mine

    def pragma(self, name: str, value: int) -> None:
        """Set a PRAGMA on every connection, those to come included (tests make the disk full with
        max_page_count, which SQLite keeps per connection)."""
        with self._lock:
            self._pragmas[name] = str(int(value))
            for opened in self._opened:
                opened.pragma(name, str(int(value)))

    def close(self) -> None:
        """Close every thread's connections (each waits for a statement in progress on it); later writes refuse."""
        with self._lock:
            self._closed = True
            opened, self._opened = self._opened, []
        for each in opened:
            each.close()


CLOSED = "the intake is closed (bcbot is stopping)"
# Every connection of the ack path: no waiting in SQLite's busy handler (_soon looks for the lock itself),
# no sync at a commit, and no checkpoint (Intake.flush checkpoints, off the ack path).
_SETTINGS = {"busy_timeout": "0", "synchronous": "NORMAL", "wal_autocheckpoint": "0"}


class _ThreadConnections:
    """One request thread's connections to the intake file: the sqlite3 module's (reads, and the inserts
    where SQLite cannot be called directly) and the direct insert. Used under a lock of their own: close()
    comes from another thread, and must never free what a statement in progress uses."""

    def __init__(self, path: str, lib: ctypes.PyDLL | None):
        self._lock = threading.Lock()
        self._closed = False
        self._module = sqlite3.connect(path, timeout=0, isolation_level=None,  # _soon looks for the lock itself
                                       check_same_thread=False)  # closed by close(), from another thread
        for name, value in _SETTINGS.items():
            self._module.execute(f"PRAGMA {name} = {value}")
        self._direct = DirectStatement(lib, path, _INSERT, _SETTINGS) if lib is not None else None

    def insert(self, row: tuple) -> tuple[int, int]:
        with self._lock:
            if self._closed:
                raise sqlite3.OperationalError(CLOSED)
            if self._direct is not None:
                return self._direct.run(row)
            cursor = self._module.execute(_INSERT, row)
            return cursor.rowcount, int(cursor.lastrowid or 0)

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            if self._closed:
                raise sqlite3.OperationalError(CLOSED)
            return self._module.execute(sql, params).fetchall()

    def pragma(self, name: str, value: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._module.execute(f"PRAGMA {name} = {value}")
            if self._direct is not None:
                self._direct.pragma(name, value)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._direct is not None:
                self._direct.close()
            self._module.close()


def _soon(write: Callable[[], T]) -> T:
    """Write, looking for the write lock again after 0.2 ms, then less and less often (for at most SQLite's
    busy timeout): SQLite's own busy handler sleeps 1 ms at first and up to 100 ms, far longer than another
    insert, or the worker's delete, holds this lock."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.0002
    while True:
        try:
            return write()
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 1.5, 0.004)


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class Intake:
    """The intake file: the ack path records into it (`writer`), the worker takes, forgets and retries from it."""

    def __init__(self, url: str):
        self._served: set[int] = set()  # run and committed in the main database; deleted by the next flush
        self._served_lock = threading.Lock()
        self.engine: Engine = make_engine(url)
        event.listen(self.engine, "connect", _no_autocheckpoint)  # only flush checkpoints this file
        METADATA.create_all(self.engine)
        database = make_url(url).database
        assert database
        self.writer = IntakeWriter(database)

    def get(self, intake_id: int) -> tuple[ClaimedIntent, datetime] | None:
        """The recorded intent (its attempts counting this one) and when it was recorded; None once forgotten."""
        with self._served_lock:
            if intake_id in self._served:
                return None
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:  # no write lock
            row = conn.execute(select(INTAKE).where(INTAKE.c.id == intake_id)).first()
        if row is None:
            return None
        return ClaimedIntent(id=row.id, kind=row.kind, actor=row.actor, payload=dict(row.payload or {}),
                             tell=dict(row.tell or {}), attempts=row.attempts + 1, dedupe_key=row.dedupe_key), \
            row.created_at

    def forget(self, intake_id: int) -> None:
        """After the main database committed its run (or its refusal): the row has served. Deleted with the
        others at the next `flush` (the sweep's), so a burst of clicks is not also a burst of deletes
        competing with the acks for this file's lock; a row lost from memory by a crash is found by the
        sweep, whose run finds its key known and forgets it again."""
        with self._served_lock:
            self._served.add(intake_id)

    def flush(self) -> int:
        """Copy the file's log into it, then delete the rows that have served, in one transaction."""
        with self._served_lock:
            served, self._served = self._served, set()
        if served:
            # Checkpoint here, not on the ack path (whose connections never do), and first: the write after a
            # complete checkpoint restarts the log and syncs it, and that write should be this delete, not an
            # ack's insert with the GIL held (storage/sqlite_direct.py).
            self.writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            try:
                with self.engine.begin() as conn:
                    conn.execute(delete(INTAKE).where(INTAKE.c.id.in_(sorted(served))))
            except Exception:
                with self._served_lock:
                    self._served |= served
                raise
        return len(served)

    def failed_attempt(self, intake_id: int, *, retry_at: datetime) -> None:
        """An attempt that crashed: counted (one that keeps crashing is refused), tried again after `retry_at`."""
        with self.engine.begin() as conn:
            conn.execute(update(INTAKE).where(INTAKE.c.id == intake_id)
                         .values(attempts=INTAKE.c.attempts + 1, claimed_until=retry_at))

    def unfinished(self, now: datetime, limit: int = 200, *, older_than: timedelta = timedelta(seconds=2)) -> list[int]:
        """Rows still waiting, oldest first: recorded over `older_than` ago (younger ones are on their way to
        a worker over the pipe) and not waiting out a retry pause."""
        c = INTAKE.c
        with self._served_lock:
            served = set(self._served)
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:  # no write lock
            found = conn.scalars(select(c.id).where(c.status == RECEIVED, c.created_at < now - older_than,
                                                    or_(c.claimed_until.is_(None), c.claimed_until < now))
                                 .order_by(c.created_at, c.id).limit(limit + len(served)))
            return [i for i in found if i not in served][:limit]

    def dispose(self) -> None:
        try:
            self.flush()
        except Exception:
            pass  # the next start's sweep forgets them
        self.writer.close()
        self.engine.dispose()
