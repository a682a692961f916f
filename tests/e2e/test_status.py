"""`/activate status` under a burst reads the database once, yet never shows a list older than a change
this bot (or its worker process) made; another replica's changes show within STATUS_MAX_AGE_S."""
from __future__ import annotations

import threading
import time

from sqlalchemy import event

from bot.usecases import reads as queries
from tests.e2e.helpers import activate
from tests.support import people


def status(running) -> str:
    reply = running.slack.command(people.OUTSIDER, "status")
    assert reply.status == 200
    return reply.json()["text"]


def selects_on(running, *, slow: float = 0.0) -> list[str]:
    """The reads of the incidents table that requests make from now on (each taking `slow` seconds more, to make
    them overlap); the background's own reads (sweeps, nudges) are not the requests'."""
    seen: list[str] = []

    def read(conn, cursor, statement, *rest):
        if "FROM incidents" in statement and threading.current_thread().name.startswith("waitress"):
            seen.append(statement)
            time.sleep(slow)

    event.listen(running.app.engine, "before_cursor_execute", read)
    return seen


def test_a_burst_of_status_reads_the_database_once(running):
    activate(running, people.PARKS)
    seen = selects_on(running)
    texts = [status(running) for _ in range(20)]
    assert all("BC-1" in t for t in texts) and len(seen) == 1


def test_a_change_made_by_the_worker_process_shows_at_once(start_app):
    running = start_app(bcbot_worker="process")
    running.settle()
    assert "No open incidents" in status(running)  # now kept: a change must make it stale
    activate(running, people.PARKS)  # recorded by the worker process
    assert "BC-1" in status(running)


def test_a_change_made_by_another_replica_shows_within_the_age_limit(start_app, monkeypatch):
    monkeypatch.setattr(queries, "STATUS_MAX_AGE_S", 0.3)
    this, other = start_app(), start_app()  # two bots on one database
    assert "No open incidents" in status(this)
    activate(other, people.PARKS)
    time.sleep(0.35)
    assert "BC-1" in status(this)


def test_a_burst_of_status_at_the_same_moment_reads_the_database_once(running):
    from concurrent.futures import ThreadPoolExecutor

    activate(running, people.PARKS)
    seen = selects_on(running, slow=0.1)  # a slow database: without care, every request would read it
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(lambda _: status(running), range(16)))
    assert all("BC-1" in t for t in texts) and len(seen) == 1
