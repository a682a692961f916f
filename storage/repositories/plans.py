"""Plan versions: each exact plan stored once, by content hash."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.plan import Plan
from storage import models as m


class PlanRepository:
    def __init__(self, session: Session):
        self.s = session

    def version_id(self, plan: Plan, *, source: str, now: datetime) -> int:
        """The row of this exact plan version, stored on first sight."""
        digest = plan.content_hash()
        found = self.s.scalar(
            select(m.PlanVersion.id).where(m.PlanVersion.plan_key == plan.id, m.PlanVersion.content_hash == digest)
        )
        if found is not None:
            return found
        try:
            with self.s.begin_nested():
                row = m.PlanVersion(plan_key=plan.id, content_hash=digest, title=plan.title,
                                    snapshot=plan.canonical_json(), source=source, created_at=now)
                self.s.add(row)
        except IntegrityError:  # another process stored it first
            return self.s.execute(
                select(m.PlanVersion.id).where(m.PlanVersion.plan_key == plan.id, m.PlanVersion.content_hash == digest)
            ).scalar_one()
        return row.id

    def snapshot(self, version_id: int) -> Plan:
        return Plan.from_snapshot(self.s.get_one(m.PlanVersion, version_id).snapshot)

    def content_hash(self, version_id: int) -> str:
        return self.s.get_one(m.PlanVersion, version_id).content_hash

    def served(self) -> dict[str, m.PlanServed]:
        """Each plan's served version and its file's trouble, by plan ID."""
        return {row.plan_key: row for row in self.s.scalars(select(m.PlanServed))}

    def serve(self, plan_key: str, version_id: int, *, file: str, now: datetime) -> None:
        """Serve this version from a valid file: any trouble its file had is over."""
        row = self.s.get(m.PlanServed, plan_key)
        if row is None:
            self.s.add(m.PlanServed(plan_key=plan_key, version_id=version_id, file=file, updated_at=now))
            return
        row.version_id, row.file, row.updated_at = version_id, file, now
        row.broken_hash = row.broken_problem = row.broken_since = None

    def broken(self, plan_key: str, *, content_hash: str, problem: str, now: datetime) -> None:
        """The plan's file is broken (or gone): its served version stays, the trouble is recorded."""
        row = self.s.get_one(m.PlanServed, plan_key)
        if row.broken_hash != content_hash:
            row.broken_since = row.broken_since or now
        row.broken_hash, row.broken_problem, row.updated_at = content_hash, problem, now
