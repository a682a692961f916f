"""The Slack task outbox: the side effects an incident still owes Slack."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from storage import models as m


class OutboxRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, incident_id: int, tasks: list[str], now: datetime) -> None:
        self.s.execute(insert(m.SlackTask), [
            {"incident_id": incident_id, "task": t, "created_at": now, "attempts": 0, "result": {}} for t in tasks
        ])

    def pending(self, incident_id: int) -> dict[str, int]:
        """Pending task name -> attempts so far."""
        rows = self.s.execute(select(m.SlackTask.task, m.SlackTask.attempts).where(
            m.SlackTask.incident_id == incident_id, m.SlackTask.done_at.is_(None)))
        return {task: attempts for task, attempts in rows}

    def incidents_with_pending(self, now: datetime, max_attempts: int) -> list[int]:
        query = select(m.SlackTask.incident_id).where(
            m.SlackTask.done_at.is_(None), m.SlackTask.attempts < max_attempts,
            (m.SlackTask.claimed_until.is_(None)) | (m.SlackTask.claimed_until < now),
        ).distinct()
        return list(self.s.scalars(query))

    def claim(self, incident_id: int, task: str, now: datetime, until: datetime) -> int | None:
        """Take the task for this worker; returns how many attempts came before, or None if it is
        done or another worker holds it."""
        where = (m.SlackTask.incident_id == incident_id, m.SlackTask.task == task, m.SlackTask.done_at.is_(None),
                 (m.SlackTask.claimed_until.is_(None)) | (m.SlackTask.claimed_until < now))
        before = self.s.scalar(select(m.SlackTask.attempts).where(*where))
        if before is None:
            return None
        result = self.s.execute(update(m.SlackTask).where(*where, m.SlackTask.attempts == before)
                                .values(attempts=before + 1, claimed_until=until))
        return before if result.rowcount == 1 else None

    def done(self, incident_id: int, task: str, now: datetime, result: dict | None = None) -> None:
        self.s.execute(update(m.SlackTask).where(m.SlackTask.incident_id == incident_id, m.SlackTask.task == task)
                       .values(done_at=now, result=result or {}))

    def failed(self, incident_id: int, task: str, error: str) -> None:
        self.s.execute(update(m.SlackTask).where(m.SlackTask.incident_id == incident_id, m.SlackTask.task == task)
                       .values(last_error=error[:2000], claimed_until=None))


