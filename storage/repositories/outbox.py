"""The outbox: the Slack effects committed changes still owe, per subject (see docs/durable-road.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.domain.outbox import CHANNEL_UNUSABLE, GAVE_UP, ClaimedTask, Task, held_tells, lead_tell_name
from storage import models as m
from storage.repositories._common import dialect_insert, rowcount

# Built once: an alias's columns are made when first used, which cost more than the rest of a claim.
_DEPENDENCY, _OLDER = aliased(m.OutboxTask, name="dependency"), aliased(m.OutboxTask, name="older")


def _ready(now: datetime) -> ColumnElement[bool]:
    """Claimable now: not done, not held, nobody holding it, its retry pause over, its dependency done
    (a dependency that was never written counts as done: nothing waits for ever), and no older task of
    its subject still failing: after an outage a subject's effects go out in the order they were owed."""
    o, dependency, older = m.OutboxTask, _DEPENDENCY, _OLDER
    waiting = exists().where(dependency.subject == o.subject, dependency.name == o.depends_on,
                             dependency.done_at.is_(None))
    behind = exists().where(older.subject == o.subject, older.id < o.id, older.done_at.is_(None),
                            older.held.is_(None), older.last_error.is_not(None))
    return and_(o.done_at.is_(None), o.held.is_(None),
                or_(o.claimed_until.is_(None), o.claimed_until < now),
                or_(o.not_before.is_(None), o.not_before <= now),
                or_(o.depends_on.is_(None), ~waiting), ~behind)


class OutboxRepository:
    def __init__(self, session: Session):
        self.s = session
        self.touched: set[str] = set()  # subjects given work in this transaction: kicked after the commit
        self._intent_id: int | None = None
        self._actor: str | None = None

    def serving(self, intent_id: int | None, actor: str | None) -> None:
        """The tasks this transaction owes serve this person's intent: they are told if Slack refuses one."""
        self._intent_id, self._actor = intent_id, actor

    def add(self, subject: str, tasks: list[Task], now: datetime) -> None:
        """Owe these tasks; one whose (subject, name) is already owed or done is left as it is."""
        if not tasks:
            return
        rows = [{"subject": subject, "name": t.key, "kind": t.kind, "args": t.args, "depends_on": t.depends_on,
                 "attempts": 0, "armed": 1, "result": {}, "created_at": now, "intent_id": self._intent_id,
                 "actor": self._actor, "not_before": t.not_before} for t in tasks]
        self.s.execute(dialect_insert(self.s, m.OutboxTask).on_conflict_do_nothing(), rows)
        self.touched.add(subject)

    def arm(self, subject: str, task: Task, now: datetime) -> None:
        """Owe a render from the state of this transaction: pending again, its version bumped so that a
        run that read older state is not taken as done. A render held by an unusable channel stays held
        (it goes out when the channel is back), and this action's person is told so at once."""
        o = m.OutboxTask
        statement = dialect_insert(self.s, o).values(
            subject=subject, name=task.key, kind=task.kind, args=task.args, depends_on=task.depends_on,
            attempts=0, armed=1, result={}, created_at=now, intent_id=self._intent_id, actor=self._actor)
        held = self.s.execute(statement.on_conflict_do_update(
            index_elements=[o.subject, o.name],
            set_={"armed": o.armed + 1, "done_at": None, "attempts": 0, "not_before": None,
                  # this row's own values again, not `excluded`: that alias is built anew for each statement
                  "args": task.args, "intent_id": self._intent_id, "actor": self._actor})
            .returning(o.held, o.held_channel)).first()
        if held is not None and held.held in CHANNEL_UNUSABLE:
            self.owe_held_tells(subject, held.held, held.held_channel, self._intent_id, self._actor, now)
        self.touched.add(subject)

    def owe_held_tells(self, subject: str, code: str, channel: str | None, intent_id: int | None,
                       actor: str | None, now: datetime) -> None:
        """Owe the words that an effect of `subject` is held: to the person whose action it served, and the
        incident's lead (once per channel and reason)."""
        o = m.OutboxTask
        lead_told = self.s.scalar(select(o.id).where(o.subject == subject, o.name == lead_tell_name(code, channel)))
        tasks = held_tells(subject, code=code, channel=channel, intent_id=intent_id, actor=actor,
                           lead_told=lead_told is not None)
        rows = [{"subject": subject, "name": t.key, "kind": t.kind, "args": t.args, "attempts": 0, "armed": 1,
                 "result": {}, "created_at": now} for t in tasks]
        if rows:
            self.s.execute(dialect_insert(self.s, o).on_conflict_do_nothing(), rows)
            self.touched.add(subject)

    def ready(self, subject: str, now: datetime) -> list[str]:
        o = m.OutboxTask
        return list(self.s.scalars(select(o.name).where(o.subject == subject, _ready(now)).order_by(o.id)))

    def subjects_ready(self, now: datetime, limit: int = 200) -> list[str]:
        o = m.OutboxTask
        query = select(o.subject).where(_ready(now)).group_by(o.subject).order_by(o.subject).limit(limit)
        return list(self.s.scalars(query))

    def claim(self, subject: str, name: str, worker_id: str, now: datetime, until: datetime) -> ClaimedTask | None:
        """Take the task for this worker until `until`, or None if it is not ready (done, held, waiting)."""
        o = m.OutboxTask
        row = self.s.execute(
            update(o).where(o.subject == subject, o.name == name, _ready(now))
            .values(attempts=o.attempts + 1, claimed_by=worker_id, claimed_until=until, claimed_version=o.armed)
            .returning(o.id, o.kind, o.args, o.attempts, o.armed, o.intent_id, o.actor)).first()
        if row is None:
            return None
        return ClaimedTask(id=row.id, subject=subject, name=name, kind=row.kind, args=dict(row.args or {}),
                           attempts=row.attempts, version=row.armed, intent_id=row.intent_id, actor=row.actor)

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

    def defer(self, task: ClaimedTask, worker_id: str, until: datetime) -> None:
        """Not now, and not a failure: run it again from `until` (a rate limit's Retry-After, a tally edited
        moments ago). The attempt is not counted and nothing newer of its subject waits behind it."""
        o = m.OutboxTask
        self.s.execute(update(o).where(o.id == task.id, o.claimed_by == worker_id).values(
            claimed_by=None, claimed_until=None, not_before=until, attempts=o.attempts - 1))

    def failed(self, task: ClaimedTask, worker_id: str, error: str, retry_at: datetime | None) -> None:
        """Tried again from `retry_at` (None: held as given up)."""
        o = m.OutboxTask
        values: dict[str, object] = {"last_error": error[:2000], "claimed_by": None, "claimed_until": None,
                                     "not_before": retry_at}
        if retry_at is None:
            values["held"] = GAVE_UP
        self.s.execute(update(o).where(o.id == task.id, o.claimed_by == worker_id).values(**values))

    def hold(self, task: ClaimedTask, worker_id: str, error: str, *, code: str, channel: str | None,
             now: datetime) -> bool:
        """Stop trying: Slack refused for good (`code`). True if this worker still held the task."""
        o = m.OutboxTask
        held = self.s.execute(update(o).where(o.id == task.id, o.claimed_by == worker_id).values(
            last_error=error[:2000], claimed_by=None, claimed_until=None, held=code[:48],
            held_channel=channel if code in CHANNEL_UNUSABLE else None, held_since=now))
        return bool(rowcount(held))

    def release(self, channel: str) -> set[str]:
        """Let go of the tasks held because `channel` could not be used (it can now): their subjects."""
        o = m.OutboxTask
        where = (o.held_channel == channel, o.held.in_(list(CHANNEL_UNUSABLE)), o.done_at.is_(None))
        subjects = set(self.s.scalars(select(o.subject).where(*where).distinct()))
        if subjects:
            self.s.execute(update(o).where(*where).values(held=None, held_channel=None, held_since=None,
                                                           not_before=None))
            self.touched |= subjects
        return subjects

    def held_for(self, subject: str, code: str, channel: str) -> int:
        """How many of `subject`'s tasks are held because Slack answered `code` for `channel`."""
        o = m.OutboxTask
        return int(self.s.scalar(select(func.count()).where(
            o.subject == subject, o.done_at.is_(None), o.held == code, o.held_channel == channel)) or 0)

    def move_to_new_channel(self, subject: str, channel: str, *, repost: frozenset[str], redone: frozenset[str],
                            after: str, now: datetime) -> list[str]:
        """`subject` moves from `channel` (deleted) to a channel its new set-up (ending with task `after`)
        makes. Held posts of a kind in `repost` are let go, to go out there after `after`, one after
        another in the order they were owed; every other task held for `channel`, and any unfinished task
        of a kind in `redone` (the new set-up does it again), is dropped. The names let go."""
        o = m.OutboxTask
        unfinished = (o.subject == subject, o.done_at.is_(None))
        held_there = and_(o.held == "channel_not_found", o.held_channel == channel)
        rows = self.s.execute(select(o.id, o.name, o.kind).where(*unfinished, held_there).order_by(o.id)).all()
        moved = [row for row in rows if row.kind in repost]
        previous = after
        for row in moved:  # chained: after an outage-like wait they still go out in the order they were owed
            self.s.execute(update(o).where(o.id == row.id).values(
                held=None, held_channel=None, held_since=None, last_error=None, not_before=None, attempts=0,
                depends_on=previous))
            previous = row.name
        keep = [row.id for row in moved]
        self.s.execute(update(o).where(*unfinished, or_(held_there, o.kind.in_(sorted(redone))), o.id.not_in(keep))
                       .values(done_at=now, claimed_by=None, claimed_until=None, held=None, held_channel=None,
                               result={"dropped": f"channel {channel} was deleted; a new channel was made"}))
        self.touched.add(subject)
        return [row.name for row in moved]

    def held_channels(self) -> list[str]:
        """Channels some task waits for (archived, or bcbot removed): for the periodic look."""
        o = m.OutboxTask
        return list(self.s.scalars(select(o.held_channel).where(
            o.done_at.is_(None), o.held.in_(["is_archived", "not_in_channel"]), o.held_channel.is_not(None))
            .distinct().order_by(o.held_channel)))

    def result_of(self, subject: str, name: str) -> dict | None:
        """The stored result of a done task (None while it is pending or absent)."""
        o = m.OutboxTask
        return self.s.scalar(select(o.result).where(o.subject == subject, o.name == name, o.done_at.is_not(None)))

    def pending(self, subject: str) -> dict[str, int]:
        """Task name -> attempts so far, of the tasks not yet done."""
        o = m.OutboxTask
        rows = self.s.execute(select(o.name, o.attempts).where(o.subject == subject, o.done_at.is_(None)))
        return {name: attempts for name, attempts in rows}

    def held_tasks(self, limit: int = 50) -> list[tuple[str, str, str, str | None, datetime | None]]:
        """(subject, name, reason, channel, since) of the tasks held: for the doctor."""
        o = m.OutboxTask
        rows = self.s.execute(select(o.subject, o.name, o.held, o.held_channel, o.held_since)
                              .where(o.done_at.is_(None), o.held.is_not(None)).order_by(o.id).limit(limit))
        return [(subject, name, held or "", channel, since) for subject, name, held, channel, since in rows]

    def held_groups(self, limit: int = 20) -> list[tuple[str, str, str | None, int, datetime | None]]:
        """(subject, reason, channel, how many, held since) of what is held, per subject and reason: for the doctor."""
        o = m.OutboxTask
        rows = self.s.execute(select(o.subject, o.held, o.held_channel, func.count(), func.min(o.held_since))
                              .where(o.done_at.is_(None), o.held.is_not(None))
                              .group_by(o.subject, o.held, o.held_channel).order_by(func.min(o.id)).limit(limit))
        return [(subject, held or "", channel, int(n), since) for subject, held, channel, n, since in rows]

    def backlog(self) -> tuple[int, datetime | None, int]:
        """(tasks waiting to go out, since when the oldest has waited, tasks held): for /healthz and the doctor."""
        o = m.OutboxTask
        waiting, since = self.s.execute(select(func.count(), func.min(o.created_at))
                                        .where(o.done_at.is_(None), o.held.is_(None))).one()
        held = self.s.scalar(select(func.count()).where(o.done_at.is_(None), o.held.is_not(None)))
        return int(waiting or 0), since, int(held or 0)
