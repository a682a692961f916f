"""The roles of incidents: who holds each, who is asked to cover; and the steps given to a role's holder."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.errors import NotFound
from bot.domain.roles import IncidentRole, RoleState
from storage import models as m
from storage.repositories._common import rowcount


def _role(row: m.IncidentRole) -> IncidentRole:
    return IncidentRole(id=row.id, incident_id=row.incident_id, name=row.name, plan_holder=row.plan_holder,
                        holder=row.holder, holder_since=row.holder_since, state=RoleState(row.state),
                        asking=row.asking, asking_since=row.asking_since, asked=tuple(row.asked or ()))


class RoleRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, incident_id: int, roles: list[tuple[str, str | None]], now: datetime) -> None:
        """The incident's roles as the plan gives them: (name, holder's user ID or None)."""
        self.s.add_all([m.IncidentRole(incident_id=incident_id, name=name[:80], plan_holder=holder, holder=holder,
                                       holder_since=now, state=RoleState.HELD.value, asked=[])
                        for name, holder in roles])
        self.s.flush()

    def of_incident(self, incident_id: int) -> list[IncidentRole]:
        r = m.IncidentRole
        return [_role(row) for row in self.s.scalars(select(r).where(r.incident_id == incident_id).order_by(r.id))]

    def get(self, role_id: int) -> IncidentRole:
        row = self.s.get(m.IncidentRole, role_id)
        if row is None:
            raise NotFound("That role is not on record; the message may be from another bcbot.")
        return _role(row)

    def ask(self, role: IncidentRole, user: str, now: datetime) -> bool:
        """Ask `user` to cover, if the role is as the caller read it (no one else moved it on meanwhile)."""
        return self._move(role, state=RoleState.ASKING.value, asking=user, asking_since=now,
                          asked=[*role.asked, user])

    def uncovered(self, role: IncidentRole) -> bool:
        return self._move(role, state=RoleState.UNCOVERED.value, asking=None, asking_since=None)

    def hand(self, role: IncidentRole, holder: str, now: datetime) -> bool:
        return self._move(role, state=RoleState.HELD.value, holder=holder, holder_since=now, asking=None,
                          asking_since=None)

    def _move(self, role: IncidentRole, **values) -> bool:
        r = m.IncidentRole
        # Compare-and-set on what the caller read: two answers racing (a click and a timeout) move it once.
        done = self.s.execute(update(r).where(r.id == role.id, r.state == role.state.value,
                                              r.holder.is_(None) if role.holder is None else r.holder == role.holder,
                                              r.asking.is_(None) if role.asking is None else r.asking == role.asking)
                              .values(**values))
        return bool(rowcount(done))

    def assign_steps(self, step_ids: list[int], user: str | None) -> None:
        if step_ids:
            self.s.execute(update(m.ChecklistStep).where(m.ChecklistStep.id.in_(step_ids)).values(assignee=user))
