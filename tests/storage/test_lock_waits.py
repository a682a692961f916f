"""SQLite lock waits: a request gives up in time to ack; background work waits longer instead of failing."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import make_engine, patient_locks
from storage.migrate import upgrade


def hold_lock(path: str, seconds: float) -> threading.Thread:
    ready = threading.Event()

    def hold():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        ready.set()
        time.sleep(seconds)
        conn.rollback()
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait()
    return thread


def write(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO processed_events (event_id, received_at) VALUES (:e, '2026-01-01')"),
                     {"e": str(time.monotonic_ns())})


def test_request_threads_give_up_after_2s_background_threads_wait(tmp_path):
    path = f"{tmp_path}/locks.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)

    holder = hold_lock(path, 3.0)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        write(engine)
    assert 1.5 < time.monotonic() - started < 3.0
    holder.join()

    holder = hold_lock(path, 3.0)
    outcome: list[str] = []

    def background():
        patient_locks()
        write(engine)
        outcome.append("written")

    worker = threading.Thread(target=background)
    worker.start()
    worker.join(10)
    holder.join()
    assert outcome == ["written"]
    engine.dispose()
