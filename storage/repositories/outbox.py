"""The outbox: the Slack effects committed changes still owe, per subject (see docs/durable-road.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.domain.outbox import MAX_ATTEMPTS, ClaimedTask, Task
from storage import models as m
from storage.repositories._common import dialect_insert, rowcount


def _ready(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    """Claimable now: not done, tries left, nobody holding it, its retry pause over, its dependency done
    (a dependency that was never written counts as done: nothing waits for ever)."""
    o, dependency = m.OutboxTask, aliased(m.OutboxTask)
    waiting = exists().where(dependency.subject == o.subject, dependency.name == o.depends_on,
                             dependency.done_at.is_(None))
    return and_(o.done_at.is_(None), o.attempts < max_attempts,
                or_(o.claimed_until.is_(None), o.claimed_until < now),
                or_(o.not_before.is_(None), o.not_before <= now),
                or_(o.depends_on.is_(None), ~waiting))


class OutboxRepository:
    def __init__(self, session: Session):
        self.s = session
        self.touched: set[str] = set()  # subjects given work in this transaction: kicked after the commit

    def add(self, subject: str, tasks: list[Task], now: datetime) -> None:
        """Owe these tasks; one whose (subject, name) is already owed or done is left as it is."""
        if not tasks:
            return
        rows = [{"subject": subject, "name": t.key, "kind": t.kind, "args": t.args, "depends_on": t.depends_on,
                 "attempts": 0, "armed": 1, "result": {}, "created_at": now} for t in tasks]
        self.s.execute(dialect_insert(self.s, m.OutboxTask).on_conflict_do_nothing(), rows)
        self.touched.add(subject)

    def arm(self, subject: str, task: Task, now: datetime) -> None:
        """Owe a render from the state of this transaction: pending again, its version bumped so that a
        run that read older state is not taken as done."""
        statement = dialect_insert(self.s, m.OutboxTask).values(
            subject=subject, name=task.key, kind=task.kind, args=task.args, depends_on=task.depends_on,
            attempts=0, armed=1, result={}, created_at=now)
        self.s.execute(statement.on_conflict_do_update(
            index_elements=[m.OutboxTask.subject, m.OutboxTask.name],
            set_={"armed": m.OutboxTask.armed + 1, "done_at": None, "attempts": 0, "not_before": None,
                  "args": statement.excluded.args}))
        self.touched.add(subject)

    def ready(self, subject: str, now: datetime, max_attempts: int = MAX_ATTEMPTS) -> list[str]:
        o = m.OutboxTask
        return list(self.s.scalars(select(o.name).where(o.subject == subject, _ready(now, max_attempts))
                                   .order_by(o.id)))

    def subjects_ready(self, now: datetime, max_attempts: int = MAX_ATTEMPTS, limit: int = 200) -> list[str]:
        o = m.OutboxTask
        query = select(o.subject).where(_ready(now, max_attempts)).group_by(o.subject).order_by(o.subject).limit(limit)
        return list(self.s.scalars(query))

    def claim(self, subject: str, name: str, worker_id: str, now: datetime, until: datetime,
              max_attempts: int = MAX_ATTEMPTS) -> ClaimedTask | None:
        """Take the task for this worker until `until`, or None if it is not ready (done, held, waiting)."""
        o = m.OutboxTask
        row = self.s.execute(
            update(o).where(o.subject == subject, o.name == name, _ready(now, max_attempts))
            .values(attempts=o.attempts + 1, claimed_by=worker_id, claimed_until=until, claimed_version=o.armed)
            .returning(o.id, o.kind, o.args, o.attempts, o.armed)).first()
        if row is None:
            return None
        return ClaimedTask(id=row.id, subject=subject, name=name, kind=row.kind, args=dict(row.args or {}),
                           attempts=row.attempts, version=row.armed)

    def renew(self, ids: list[int], worker_id: str, until: datetime) -> None:
        o = m.OutboxTask
        # Rows a use case is re-arming right now are skipped (renewed at the next beat): waiting for them
        # while holding others' locks deadlocked on PostgreSQL against a transaction arming several renders.
        mine = (select(o.id).where(o.id.in_(ids), o.claimed_by == worker_id, o.done_at.is_(None))
                .with_for_update(skip_locked=True))
        self.s.execute(update(o).where(o.id.in_(mine)).values(claimed_until=until))

    def done(self, task: ClaimedTask, worker_id: str, now: datetime, result: dict) -> bool:
        """Record the run's result. False if the task was re-armed during the run and is still this
        worker's to run again (it is released, to be claimed anew)."""
        o = m.OutboxTask
        mine = (o.id == task.id, o.claimed_by == worker_id, o.done_at.is_(None))
        finished = self.s.execute(update(o).where(*mine, o.armed == task.version)
                                  .values(done_at=now, claimed_by=None, claimed_until=None, result=result,
                                          last_error=None))
        if rowcount(finished):
            return True
        released = self.s.execute(update(o).where(*mine).values(claimed_by=None, claimed_until=None, result=result))
        return not rowcount(released)  # lost to another worker (lease ran out): theirs now

    def failed(self, task: ClaimedTask, worker_id: str, error: str, retry_at: datetime | None, *,
               give_up: bool = False) -> None:
        o = m.OutboxTask
        values: dict[str, object] = {"last_error": error[:2000], "claimed_by": None, "claimed_until": None,
                                     "not_before": retry_at}
        if give_up:
            values["attempts"] = MAX_ATTEMPTS
        self.s.execute(update(o).where(o.id == task.id, o.claimed_by == worker_id).values(**values))

    def result_of(self, subject: str, name: str) -> dict | None:
        """The stored result of a done task (None while it is pending or absent)."""
        o = m.OutboxTask
        return self.s.scalar(select(o.result).where(o.subject == subject, o.name == name, o.done_at.is_not(None)))

    def pending(self, subject: str) -> dict[str, int]:
        """Task name -> attempts so far, of the tasks not yet done."""
        o = m.OutboxTask
        rows = self.s.execute(select(o.name, o.attempts).where(o.subject == subject, o.done_at.is_(None)))
        return {name: attempts for name, attempts in rows}

    def stuck(self, max_attempts: int = MAX_ATTEMPTS) -> list[tuple[str, str, str | None]]:
        """(subject, name, last error) of the tasks given up on: for the doctor and the logs."""
        o = m.OutboxTask
        rows = self.s.execute(select(o.subject, o.name, o.last_error)
                              .where(o.done_at.is_(None), o.attempts >= max_attempts).order_by(o.id))
        return [(subject, name, error) for subject, name, error in rows]
