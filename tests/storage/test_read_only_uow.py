"""A read-only unit of work (the ack path's `/activate status`) never queues behind a writer."""
from __future__ import annotations

import time

from sqlalchemy import text


def test_read_only_unit_of_work_reads_while_a_writer_holds_the_lock(uow):
    with uow() as writer:
        writer.session.execute(text("UPDATE plan_versions SET source = source"))  # takes the write lock
        started = time.perf_counter()
        with uow(read_only=True) as reader:
            assert reader.incidents.open_incidents(5) == []
        assert time.perf_counter() - started < 0.5  # no busy wait (SQLite) or lock wait (PostgreSQL)
        writer.commit()


def test_a_unit_of_work_still_writes_after_a_read_only_one_used_the_same_connection(uow):
    for _ in range(3):  # the pool hands back the same connection: the option must not stick to it
        with uow(read_only=True) as reader:
            reader.incidents.open_incidents(5)
        with uow() as writer:
            writer.session.execute(text("UPDATE plan_versions SET source = source"))
            writer.commit()
