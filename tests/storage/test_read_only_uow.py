"""A read-only unit of work (the ack path's `/activate status`) never queues behind a writer, and its
read-only option does not stick to the pooled connection the next unit of work gets."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from bot.domain.plan import load_plans
from config import BUNDLED_PLANS
from storage import models
from storage.db import READ_ONLY


def sources(u) -> set[str]:
    return set(u.session.scalars(select(models.PlanVersion.source)))


@pytest.fixture
def uow(uow):
    """The storage fixture's, with one plan version on record: something to read and to rewrite."""
    with uow() as u:
        u.plans.version_id(load_plans(BUNDLED_PLANS)[0], source="plans/plan.yaml", now=datetime.now(timezone.utc))
        u.commit()
    return uow


def test_read_only_unit_of_work_reads_while_a_writer_holds_the_lock(uow):
    with uow() as setup:
        before = sources(setup)
    assert before == {"plans/plan.yaml"}
    with uow() as writer:
        writer.session.execute(text("UPDATE plan_versions SET source = 'being rewritten'"))  # takes the write lock
        # On SQLite a reader that queued for the lock would fail here with "database is locked" (it never
        # gets it: this thread holds it); on PostgreSQL it would block for ever. It reads the last commit.
        with uow(read_only=True) as reader:
            assert reader.incidents.open_incidents(5) == []
            assert sources(reader) == before
        writer.commit()


def test_a_unit_of_work_still_writes_after_a_read_only_one_used_the_same_connection(uow):
    for n in range(3):  # the pool hands back the same connection: the option must not stick to it
        with uow(read_only=True) as reader:
            reader.incidents.open_incidents(5)
            assert reader.session.connection().get_execution_options().get(READ_ONLY)
        with uow() as writer:
            assert not writer.session.connection().get_execution_options().get(READ_ONLY)
            writer.session.execute(text(f"UPDATE plan_versions SET source = 'round {n}'"))
            writer.commit()
        with uow(read_only=True) as reader:
            assert sources(reader) == {f"round {n}"}
