"""Person names over time (`person_names`): learned from the plans and from Slack."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from bot.domain.people import Names
from storage import models as m


class NameRepository:
    def __init__(self, session: Session):
        self.s = session

    def learn(self, user_id: str, name: str, *, source: str, now: datetime) -> bool:
        """Record `name` for `user_id` from now on, unless it is already their latest name. Whether it was new."""
        name = name.strip()[:200]
        if not name:
            return False
        p = m.PersonName
        latest = self.s.scalar(select(p.name).where(p.user_id == user_id).order_by(p.seen_at.desc(), p.id.desc()).limit(1))
        if latest == name:
            return False
        self.s.add(p(user_id=user_id, name=name, source=source, seen_at=now))
        self.s.flush()
        return True

    def history(self, user_ids: set[str]) -> Names:
        if not user_ids:
            return Names()
        p = m.PersonName
        history: dict[str, list[tuple[datetime, str]]] = {}
        for user_id, seen_at, name in self.s.execute(select(p.user_id, p.seen_at, p.name)
                                                     .where(p.user_id.in_(sorted(user_ids)))
                                                     .order_by(p.user_id, p.seen_at, p.id)):
            history.setdefault(user_id, []).append((seen_at, name))
        return Names({k: tuple(v) for k, v in history.items()})

    def unnamed(self, limit: int = 50) -> list[str]:
        """User IDs that records name and bcbot has no name for, most recently active first (roughly)."""
        i, le, d, st = m.Incident, m.IncidentLogEntry, m.Decision, m.ChecklistStep
        act, role = m.CorrectiveAction, m.IncidentRole
        named = select(m.PersonName.user_id)
        seen = union(
            select(i.lead_user_id.label("user_id")), select(i.activated_by), select(i.approved_by),
            select(le.actor), select(d.decided_by), select(d.logged_by), select(st.changed_by), select(st.assignee),
            select(act.owner), select(act.created_by), select(act.closed_by), select(role.holder),
            select(m.ManagementReview.recorded_by),
        ).subquery()
        query = (select(seen.c.user_id).where(seen.c.user_id.is_not(None), seen.c.user_id.not_in(named))
                 .distinct().limit(limit))
        return list(self.s.scalars(query))
