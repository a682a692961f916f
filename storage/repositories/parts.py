"""The cards telling people their part in a plan: owed (once per changed part), sent, acknowledged."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.domain.parts import PartRecord
from storage import models as m
from storage.repositories._common import dialect_insert, rowcount


def _record(row: m.PlanPart) -> PartRecord:
    return PartRecord(plan_key=row.plan_key, user_id=row.user_id, name=row.name, part_hash=row.part_hash,
                      generation=row.generation, plan_version_id=row.plan_version_id, owed_at=row.owed_at,
                      sent_at=row.sent_at, acked_hash=row.acked_hash, acked_at=row.acked_at,
                      delivery_code=row.delivery_code)


class PlanPartRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, plan_key: str, user_id: str) -> PartRecord | None:
        p = m.PlanPart
        row = self.s.scalar(select(p).where(p.plan_key == plan_key, p.user_id == user_id))
        return _record(row) if row else None

    def of_plans(self, plan_keys: list[str]) -> dict[str, dict[str, PartRecord]]:
        """The cards of these plans: plan key -> user ID -> card (plans never sent are absent)."""
        found: dict[str, dict[str, PartRecord]] = {}
        if plan_keys:
            for row in self.s.scalars(select(m.PlanPart).where(m.PlanPart.plan_key.in_(plan_keys))):
                found.setdefault(row.plan_key, {})[row.user_id] = _record(row)
        return found

    def for_home(self, plan_keys: list[str], user_id: str | None
                 ) -> tuple[dict[str, dict[str, PartRecord]], dict[str, PartRecord]]:
        """App Home's one read: the cards of the plans it lists, by plan and user; and the reader's own, by plan."""
        p = m.PlanPart
        conditions = [*([p.plan_key.in_(plan_keys)] if plan_keys else []), *([p.user_id == user_id] if user_id else [])]
        by_plan: dict[str, dict[str, PartRecord]] = {}
        mine: dict[str, PartRecord] = {}
        if not conditions:
            return by_plan, mine
        wanted = set(plan_keys)
        for row in self.s.scalars(select(p).where(or_(*conditions))):
            record = _record(row)
            if row.plan_key in wanted:
                by_plan.setdefault(row.plan_key, {})[row.user_id] = record
            if row.user_id == user_id:
                mine[row.plan_key] = record
        return by_plan, mine

    def of_user(self, user_id: str) -> list[PartRecord]:
        p = m.PlanPart
        return [_record(r) for r in self.s.scalars(select(p).where(p.user_id == user_id).order_by(p.id))]

    def plans_sent(self) -> set[str]:
        """The plans whose cards were sent (`bcbot roles send`): a changed part is re-sent for these only."""
        return set(self.s.scalars(select(m.PlanPart.plan_key).distinct()))

    def owe(self, plan_key: str, user_id: str, *, name: str, part_hash: str, plan_version_id: int,
            now: datetime) -> int | None:
        """Owe `user_id` a card of this part, unless the latest card owed them is of this part already: the new
        card's generation, or None. Compare-and-set on the part: two replicas noticing one new plan version owe it
        once (on PostgreSQL the second UPDATE waits for the first's row lock, then finds the part owed)."""
        p = m.PlanPart
        inserted = self.s.execute(dialect_insert(self.s, p).on_conflict_do_nothing().values(
            plan_key=plan_key, user_id=user_id, name=name[:80], part_hash=part_hash, generation=1,
            plan_version_id=plan_version_id, owed_at=now))
        if rowcount(inserted):
            return 1
        changed = self.s.execute(update(p).where(p.plan_key == plan_key, p.user_id == user_id,
                                                 p.part_hash != part_hash)
                                 .values(part_hash=part_hash, generation=p.generation + 1, name=name[:80],
                                         plan_version_id=plan_version_id, owed_at=now, sent_at=None,
                                         dm_ts=None, delivery_code=None))
        if not rowcount(changed):
            return None
        return self.s.scalar(select(p.generation).where(p.plan_key == plan_key, p.user_id == user_id))

    def sent(self, plan_key: str, user_id: str, generation: int, *, channel: str, ts: str, now: datetime) -> None:
        p = m.PlanPart
        self.s.execute(update(p).where(p.plan_key == plan_key, p.user_id == user_id, p.generation == generation)
                       .values(sent_at=now, dm_channel=channel, dm_ts=ts, delivery_code=None))

    def failed(self, plan_key: str, user_id: str, generation: int, *, code: str) -> None:
        p = m.PlanPart
        self.s.execute(update(p).where(p.plan_key == plan_key, p.user_id == user_id, p.generation == generation)
                       .values(delivery_code=code[:48]))

    def acknowledge(self, plan_key: str, user_id: str, part_hash: str, now: datetime) -> bool:
        """Record that `user_id` acknowledged this exact part, if it is still the part owed them; False if not
        (their part changed since that card). A second Got it keeps the first one's time."""
        p = m.PlanPart
        self.s.execute(update(p).where(p.plan_key == plan_key, p.user_id == user_id, p.part_hash == part_hash,
                                       (p.acked_hash.is_(None)) | (p.acked_hash != part_hash))
                       .values(acked_hash=part_hash, acked_at=now))
        record = self.get(plan_key, user_id)
        return record is not None and record.acknowledged(part_hash)

    def dm_channel_of(self, user_id: str) -> str | None:
        p = m.PlanPart
        return self.s.scalar(select(p.dm_channel).where(p.user_id == user_id, p.dm_channel.is_not(None))
                             .order_by(p.id.desc()).limit(1))
