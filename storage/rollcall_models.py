"""Models of roll calls and of plan people resolved by email (storage.models re-exports them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class RollCall(Base):
    """A roll call: everyone named in a plan asked by DM whether they are safe (bot.usecases.rollcall).
    An incident's, or a drill run on its own (`/activate drill`: no incident, the tally in the runner's DM)."""

    __tablename__ = "roll_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), unique=True)
    plan_key: Mapped[str] = mapped_column(String(64))
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    is_drill: Mapped[bool] = mapped_column(default=False)
    started_by: Mapped[str] = mapped_column(String(32))
    lead_user_id: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    escalate_at: Mapped[datetime]
    # Where the tally message is: the incident channel, or the drill runner's DM (from chat.postMessage's answer).
    tally_channel: Mapped[str | None] = mapped_column(String(32))
    tally_ts: Mapped[str | None] = mapped_column(String(32))
    # When the tally was last posted or edited: edits are at least TALLY_EVERY apart, whatever the clicks.
    rendered_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]


class RollCallPerson(Base):
    """One person asked in a roll call: their latest answer and the delivery of their DM."""

    __tablename__ = "roll_call_people"
    __table_args__ = (UniqueConstraint("roll_call_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_calls.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    recorded_by: Mapped[str | None] = mapped_column(String(32))  # someone else, who reached them by phone
    # pending, sent, failed (Slack refused for good: "not reached"); Slack's code when failed.
    delivery: Mapped[str] = mapped_column(String(16), default="pending")
    delivery_code: Mapped[str | None] = mapped_column(String(48))
    sent_at: Mapped[datetime | None]
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    reminded_at: Mapped[datetime | None]


class RollCallAnswer(Base):
    """Every answer given in a roll call, in order (a person may change theirs): for the report."""

    __tablename__ = "roll_call_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_calls.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    recorded_by: Mapped[str | None] = mapped_column(String(32))


class SlackPerson(Base):
    """A plan person named by `email:`, resolved to a Slack user ID once per new plan version (one paged
    users.list sweep) and refreshed daily: never looked up per incident."""

    __tablename__ = "slack_people"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)  # lower-cased
    user_id: Mapped[str | None] = mapped_column(String(32))  # None: not in this workspace
    resolved_at: Mapped[datetime]
