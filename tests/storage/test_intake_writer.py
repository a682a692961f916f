"""The ack path's write on SQLite (storage/intake.py): each intent recorded once, from any number of request
threads, and a full disk refused in words, whether SQLite is called directly or through the sqlite3 module."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone

import pytest

from bot.domain.errors import is_database_busy, is_disk_full
from storage.intake import Intake, IntakeWriter
from tests.support.disk import disk_full

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["direct", "sqlite3 module"])
def writer(request, tmp_path):
    intake = Intake(f"sqlite:///{tmp_path}/bcbot.db-intake")
    if request.param == "direct":
        if not intake.writer.direct:
            pytest.skip("this Python's SQLite is built into its sqlite3 module: inserts go through the module")
        yield intake.writer
    else:
        yield IntakeWriter(f"{tmp_path}/bcbot.db-intake", direct=False)
    intake.dispose()


def record(writer, key: str, payload: dict | None = None) -> tuple[int, bool]:
    return writer(kind="set_step", actor="U0BAKER", payload=payload or {"s": 1}, dedupe_key=key,
                  tell={"user_id": "U0BAKER"}, now=NOW)


def stored(writer) -> list[tuple]:
    return writer.execute("SELECT id, dedupe_key, payload, created_at FROM intake ORDER BY id")


def test_an_intent_and_its_replay_are_recorded_once(writer):
    first, new = record(writer, "click-1", {"s": 7, "note": "Ünïcode ✓"})
    again, new_again = record(writer, "click-1", {"s": 8})
    assert (new, new_again) == (True, False) and again == first
    assert stored(writer) == [(first, "click-1", '{"s": 7, "note": "\\u00dcn\\u00efcode \\u2713"}',
                               "2026-12-06 09:00:00.000000")]


def test_request_threads_record_side_by_side_each_intent_once(writer):
    found: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def clicks(thread: int) -> None:
        for n in range(25):
            result = record(writer, f"t{thread}-{n % 20}")  # the last five are replays
            with lock:
                found.append(result)

    threads = [threading.Thread(target=clicks, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    new_ids = [i for i, new in found if new]
    assert len(new_ids) == len(set(new_ids)) == 160
    assert sorted(row[0] for row in stored(writer)) == sorted(new_ids)
    assert all(i in new_ids for i, new in found if not new)  # a replay gets the first one's ID


def test_a_full_disk_refuses_a_decision_in_words_and_records_it_once_space_returns(writer):
    decision = {"text": "We move to the Leeds office. " * 200}  # more than a page: the file must grow
    record(writer, "before")
    with disk_full(writer):
        with pytest.raises(sqlite3.OperationalError) as refused:
            record(writer, "click-1", decision)
        assert is_disk_full(refused.value)
        # another request thread's connection, opened while the disk is full, finds it full too
        errors: list[BaseException] = []
        thread = threading.Thread(target=lambda: _capture(errors, lambda: record(writer, "click-2", decision)))
        thread.start()
        thread.join()
        assert len(errors) == 1 and is_disk_full(errors[0])
    _, new = record(writer, "click-1", decision)
    assert new and [key for _, key, _, _ in stored(writer)] == ["before", "click-1"]


def _capture(errors: list[BaseException], call) -> None:
    try:
        call()
    except Exception as err:
        errors.append(err)


def test_stopping_while_request_threads_record_refuses_their_intents_in_words(writer):
    stop, refusals, recorded = threading.Event(), [], []

    def clicks(thread: int) -> None:
        n = 0
        while not stop.is_set():
            try:
                recorded.append(record(writer, f"t{thread}-{n}"))
            except sqlite3.OperationalError as err:
                refusals.append(err)
                return
            n += 1

    threads = [threading.Thread(target=clicks, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    while len(recorded) < 200:
        threading.Event().wait(0.005)
    writer.close()  # as app.stop() does, while requests are still being answered
    stop.set()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    # Each thread ends on a refusal in words (a thread starved of the write lock on a busy machine may have been
    # refused for that before the stop), never on a crash or a hang.
    assert refusals and all(is_database_busy(err) for err in refusals)
    assert any("closed" in str(err) for err in refusals)
