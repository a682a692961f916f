"""Model of the cards telling people their part in a plan (storage.models re-exports it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class PlanPart(Base):
    """A person's part in a plan (bot.domain.parts), as its card was owed, sent and acknowledged: the part's hash
    sent and when, the hash they acknowledged (Got it) and when. Their acknowledgement counts while the two agree."""

    __tablename__ = "plan_parts"
    __table_args__ = (UniqueConstraint("plan_key", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(80))
    part_hash: Mapped[str] = mapped_column(String(64))  # the part of the latest card owed
    generation: Mapped[int] = mapped_column(default=1)  # cards owed so far: names each card's outbox task
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))  # what that card shows
    owed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]  # when that card went out (None: not yet)
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    delivery_code: Mapped[str | None] = mapped_column(String(48))  # Slack refused the card for good
    acked_hash: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None]
