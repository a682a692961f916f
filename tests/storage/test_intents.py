"""The ack path's intent writes: committed in groups, each once per dedupe key, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from storage import models
from storage.repositories.intents import IntentWriter

NOW = datetime(2027, 3, 1, 10, tzinfo=timezone.utc)


def fields(key: str, **extra) -> dict:
    return {"kind": "set_step", "actor": "U0SPARKS01", "payload": {"step_id": 1, "status": "done"},
            "dedupe_key": key, "tell": {"user_id": "U0SPARKS01"}, "now": NOW} | extra


def test_a_burst_of_intents_is_each_recorded_once_and_a_repeat_gets_the_first_id(engine):
    record = IntentWriter(engine)
    results: dict[int, tuple[int, bool]] = {}
    start = threading.Barrier(30)

    def click(n: int) -> None:
        start.wait()
        results[n] = record(**fields(f"action:{n % 20}"))  # 10 of the 30 are a second delivery of another

    threads = [threading.Thread(target=click, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.Intent)) == 20
    by_key: dict[int, set[int]] = {}
    for n, (intent_id, _) in results.items():
        by_key.setdefault(n % 20, set()).add(intent_id)
    assert all(len(ids) == 1 for ids in by_key.values())  # both deliveries of a click: the same intent
    assert sum(new for _, new in results.values()) == 20


def test_one_intent_the_database_refuses_does_not_fail_the_others_in_its_group(engine):
    record = IntentWriter(engine)
    outcomes: dict[str, object] = {}
    start = threading.Barrier(6)

    def click(key: str, **extra) -> None:
        start.wait()
        try:
            outcomes[key] = record(**fields(key, **extra))
        except Exception as err:
            outcomes[key] = err

    threads = [threading.Thread(target=click, args=(f"ok:{n}",)) for n in range(5)]
    threads.append(threading.Thread(target=click, args=("bad",), kwargs={"kind": None}))  # NOT NULL
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(outcomes["bad"], Exception)
    assert all(isinstance(outcomes[f"ok:{n}"], tuple) for n in range(5))
