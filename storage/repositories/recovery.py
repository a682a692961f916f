"""Incidents' affected services: their objectives, the marks their clocks pass, when each was told and when
each service was recovered."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.domain.errors import NotFound
from bot.domain.incident import IncidentState
from bot.domain.recovery import AffectedService, Mark, marks
from bot.domain.remit import Objectives
from storage import models as m
from storage.repositories._common import rowcount

_TOLD = {Mark.WARN: "warned_at", Mark.RTO: "rto_told_at", Mark.MTPD: "mtpd_told_at"}


def _service(row: m.IncidentService) -> AffectedService:
    return AffectedService(
        id=row.id, incident_id=row.incident_id, name=row.name, priority=row.priority, rto_minutes=row.rto_minutes,
        mtpd_minutes=row.mtpd_minutes, disrupted_at=row.disrupted_at, warn_at=row.warn_at, rto_due_at=row.rto_due_at,
        mtpd_due_at=row.mtpd_due_at, added_at=row.added_at, added_by=row.added_by, removed_at=row.removed_at,
        recovered_at=row.recovered_at, recovered_by=row.recovered_by, warned_at=row.warned_at,
        rto_told_at=row.rto_told_at, mtpd_told_at=row.mtpd_told_at)


class RecoveryRepository:
    def __init__(self, session: Session):
        self.s = session

    def affect(self, incident_id: int, services: list[Objectives], *, disrupted_at: datetime, now: datetime,
               by: str | None) -> list[str]:
        """Put these services on the incident (a service taken off before comes back, its clock as it was).
        The names newly on it."""
        r = m.IncidentService
        rows = {row.name: row for row in self.s.scalars(select(r).where(r.incident_id == incident_id))}
        added = []
        for objectives in services:
            row = rows.get(objectives.name)
            if row is not None:
                if row.removed_at is not None:
                    row.removed_at = None
                    added.append(objectives.name)
                continue
            due = marks(objectives, disrupted_at)
            self.s.add(r(incident_id=incident_id, name=objectives.name[:75], priority=objectives.priority,
                         rto_minutes=objectives.rto_minutes, mtpd_minutes=objectives.mtpd_minutes,
                         disrupted_at=disrupted_at, warn_at=due.warn_at, rto_due_at=due.rto_due_at,
                         mtpd_due_at=due.mtpd_due_at, added_at=now, added_by=by))
            added.append(objectives.name)
        self.s.flush()
        return added

    def take_off(self, incident_id: int, names: list[str], now: datetime) -> None:
        r = m.IncidentService
        if names:
            self.s.execute(update(r).where(r.incident_id == incident_id, r.name.in_(names), r.removed_at.is_(None))
                           .values(removed_at=now))

    def of_incident(self, incident_id: int, *, removed: bool = False) -> list[AffectedService]:
        r = m.IncidentService
        query = select(r).where(r.incident_id == incident_id)
        if not removed:
            query = query.where(r.removed_at.is_(None))
        return [_service(row) for row in self.s.scalars(query.order_by(r.id))]

    def get(self, service_id: int) -> AffectedService:
        row = self.s.get(m.IncidentService, service_id)
        if row is None:
            raise NotFound("That service is not on record for this incident; the message may be from another bcbot.")
        return _service(row)

    def recover(self, service_id: int, *, at: datetime, by: str) -> bool:
        """Stop the service's clock; False if it was recovered already (a double click records once)."""
        r = m.IncidentService
        done = self.s.execute(update(r).where(r.id == service_id, r.recovered_at.is_(None))
                              .values(recovered_at=at, recovered_by=by))
        return bool(rowcount(done))

    def recover_all(self, incident_id: int, *, at: datetime, by: str) -> list[str]:
        """At stand-down: every clock still running stops (the services back when the incident ends)."""
        r = m.IncidentService
        names = list(self.s.scalars(select(r.name).where(r.incident_id == incident_id, r.removed_at.is_(None),
                                                         r.recovered_at.is_(None))))
        self.s.execute(update(r).where(r.incident_id == incident_id, r.removed_at.is_(None), r.recovered_at.is_(None))
                       .values(recovered_at=at, recovered_by=by))
        return names

    def running_past(self, now: datetime) -> list[AffectedService]:
        """Services of open incidents whose clock is still running and has passed a mark not yet told."""
        r, i = m.IncidentService, m.Incident
        rows = self.s.scalars(select(r).join(i, i.id == r.incident_id).where(
            i.state != IncidentState.STOOD_DOWN.value, r.recovered_at.is_(None), r.removed_at.is_(None),
            or_((r.warn_at <= now) & r.warned_at.is_(None) & r.rto_told_at.is_(None),
                (r.rto_due_at <= now) & r.rto_told_at.is_(None),
                (r.mtpd_due_at <= now) & r.mtpd_told_at.is_(None))).order_by(r.id))
        return [_service(row) for row in rows]

    def claim(self, service_id: int, mark: Mark, now: datetime) -> bool:
        """Record that this mark is being told; False if another sweep (a replica) already did."""
        r = m.IncidentService
        column = getattr(r, _TOLD[mark])
        done = self.s.execute(update(r).where(r.id == service_id, column.is_(None)).values({_TOLD[mark]: now}))
        return bool(rowcount(done))
