"""Reads of the continuity programme over a period, for the management review pack: incidents and exercises,
reviews and tests done, roll calls, and the plans' titles as last served. Nothing is written."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import records
from bot.domain.review_pack import ReviewDone, RollCallFigures, TestDone
from storage import models as m
from storage.repositories._common import _incident
from storage.repositories.rollcalls import RollCallRepository


class ProgrammeRepository:
    def __init__(self, session: Session):
        self.s = session

    def incidents(self, start: datetime, end: datetime) -> list[records.Incident]:
        """Incidents and exercises activated in [start, end), oldest first."""
        i = m.Incident
        rows = self.s.scalars(select(i).where(i.activated_at >= start, i.activated_at < end)
                              .order_by(i.activated_at, i.id))
        return [_incident(r) for r in rows]

    def reviews(self, start: datetime, end: datetime) -> list[ReviewDone]:
        r = m.PlanReview
        rows = self.s.scalars(select(r).where(r.reviewed_at >= start, r.reviewed_at < end).order_by(r.reviewed_at, r.id))
        return [ReviewDone(x.plan_key, x.reviewed_at, x.reviewed_by, x.was_due_on) for x in rows]

    def tests(self, since: date, until: date) -> list[TestDone]:
        t = m.PlanTest
        rows = self.s.scalars(select(t).where(t.held_on >= since, t.held_on <= until).order_by(t.held_on, t.id))
        return [TestDone(x.plan_key, x.test_type, x.held_on, x.recorded_by, x.incident_id) for x in rows]

    def roll_calls(self, start: datetime, end: datetime) -> list[RollCallFigures]:
        rc = m.RollCall
        calls = self.s.scalars(select(rc).where(rc.started_at >= start, rc.started_at < end).order_by(rc.started_at, rc.id))
        repo = RollCallRepository(self.s)
        return [RollCallFigures(c.incident_id, c.plan_key, c.is_drill, c.started_at, repo.people(c.id),
                                repo.answers(c.id)) for c in calls]

    def plan_titles(self) -> dict[str, str]:
        """Each plan's title in the latest version on record."""
        v = m.PlanVersion
        latest = select(v.plan_key, func.max(v.id).label("id")).group_by(v.plan_key).subquery()
        rows = self.s.execute(select(v.plan_key, v.snapshot).join(latest, v.id == latest.c.id))
        return {key: str(json.loads(snapshot).get("title") or key) for key, snapshot in rows}
