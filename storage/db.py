"""Engine and session factory. Nothing connects until these are called."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

# Short enough that a request waiting on a locked database still acks within Slack's 3 s,
# long enough that normal short write transactions queue rather than fail.
SQLITE_BUSY_TIMEOUT_MS = 2_000
# Work after the ack has no 3 s deadline: it waits longer rather than fail under a burst of writers.
BACKGROUND_BUSY_TIMEOUT_MS = 15_000
PG_CONNECT_TIMEOUT_S = 2
# Execution option of a connection that only reads (see storage.uow.SqlUnitOfWork(read_only=True)).
READ_ONLY = "bcbot_read_only"


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so BEGIN IMMEDIATE below is what runs.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        wanted = getattr(threading.current_thread(), "bcbot_busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS)
        if conn.info.get("busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS) != wanted:  # pooled connections change hands
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wanted}")
            conn.info["busy_timeout_ms"] = wanted
        # Writers queue on the lock at BEGIN instead of failing when a read upgrades to a write.
        # Read-only work begins deferred: under WAL it reads a snapshot and never queues behind writers
        # (an ack that only reads must not sleep in SQLite's busy handler).
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        elif wanted == SQLITE_BUSY_TIMEOUT_MS:
            _begin_writing_soon(conn)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_writing_soon(conn) -> None:
    """BEGIN IMMEDIATE for a request thread (an ack's one write, the intent): it looks for the lock every
    millisecond or so. SQLite's own busy handler backs off to 25-100 ms sleeps, so under a busy worker an
    ack would wait far longer than the few milliseconds the worker's short transactions hold the lock."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        pause = 0.0005
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as err:
                if "locked" not in str(err) and "busy" not in str(err) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 1.5, 0.004)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def patient_locks() -> None:
    """Mark the calling thread as background work: on SQLite it waits up to 15 s for the write lock.

    Used as the initializer of bcbot's background worker threads; request threads keep 2 s.
    """
    # On the thread itself: no module-level registry of threads.
    threading.current_thread().bcbot_busy_timeout_ms = BACKGROUND_BUSY_TIMEOUT_MS  # type: ignore[attr-defined]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@contextmanager
def counting_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block (tests and benchmarks count them)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
