"""App Home's reads."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.domain import records
from bot.domain.incident import IncidentState
from bot.domain.rollcall import Answer, Asked, Delivery, RollCallLine, roll_call_line
from storage import models as m
from storage.repositories._common import _incident

_OPEN_STATES = [s.value for s in IncidentState if s is not IncidentState.STOOD_DOWN]


class HomeRepository:
    """App Home's reads: a fixed number of statements, each served by an index, however much history there is."""

    def __init__(self, session: Session):
        self.s = session

    def count_open(self) -> int:
        # `state IN (open states)`, not `!= stood_down`: an index range, not a scan of every stood-down row.
        return self.s.scalar(select(func.count()).select_from(m.Incident).where(m.Incident.state.in_(_OPEN_STATES))) or 0

    def open_incidents(self, limit: int) -> list[records.Incident]:
        rows = self.s.scalars(select(m.Incident).where(m.Incident.state.in_(_OPEN_STATES))
                              .order_by(m.Incident.activated_at.desc(), m.Incident.id.desc()).limit(limit))
        return [_incident(r) for r in rows]

    def phase_progress(self, incident_ids: list[int]) -> dict[int, records.Progress]:
        """Each incident's progress in its current phase, all in one grouped query."""
        if not incident_ids:
            return {}
        step, incident = m.ChecklistStep, m.Incident
        rows = self.s.execute(
            select(step.incident_id, func.count(), func.sum(case((step.status != records.StepStatus.OPEN.value, 1), else_=0)))
            .join(incident, and_(incident.id == step.incident_id, incident.state == step.phase))
            .where(step.incident_id.in_(incident_ids)).group_by(step.incident_id)
        )
        return {incident_id: records.Progress(done=int(done or 0), total=int(total)) for incident_id, total, done in rows}

    def roll_calls(self, incident_ids: list[int]) -> dict[int, RollCallLine]:
        """Each listed incident's roll call in one line: everyone asked with their latest answer and when they
        first answered, all in one statement."""
        if not incident_ids:
            return {}
        rc, p, a = m.RollCall, m.RollCallPerson, m.RollCallAnswer
        first = (select(a.roll_call_id, a.user_id, func.min(a.at).label("at")).group_by(a.roll_call_id, a.user_id)
                 .subquery())
        rows = self.s.execute(
            select(rc.incident_id, rc.started_at, rc.is_drill, p.user_id, p.name, p.answer, p.delivery, first.c.at)
            .join(p, p.roll_call_id == rc.id)
            .outerjoin(first, and_(first.c.roll_call_id == rc.id, first.c.user_id == p.user_id))
            .where(rc.incident_id.in_(incident_ids)))
        found: dict[int, tuple[datetime, bool, list[Asked], dict[str, datetime]]] = {}
        for incident_id, started_at, drill, user, name, answer, delivery, first_at in rows:
            _, _, people, firsts = found.setdefault(incident_id, (started_at, drill, [], {}))
            people.append(Asked(user, name, answer=Answer(answer) if answer else None, delivery=Delivery(delivery)))
            if first_at is not None:
                firsts[user] = first_at
        return {i: roll_call_line(started, people, firsts, drill) for i, (started, drill, people, firsts) in found.items()}

    def stood_down(self, limit: int, *, before: tuple[datetime, int] | None = None) -> list[records.Incident]:
        """Stood-down incidents, most recently stood down first; `before` is the (stood_down_at, id) of the
        last one already shown (keyset paging: the same cost on page 1 and page 10,000)."""
        query = select(m.Incident).where(m.Incident.state == IncidentState.STOOD_DOWN.value,
                                         m.Incident.stood_down_at.is_not(None))
        if before is not None:
            at, incident_id = before
            query = query.where(m.Incident.stood_down_at <= at,
                                or_(m.Incident.stood_down_at < at, m.Incident.id < incident_id))
        rows = self.s.scalars(query.order_by(m.Incident.stood_down_at.desc(), m.Incident.id.desc()).limit(limit))
        return [_incident(r) for r in rows]
