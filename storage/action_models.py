"""Models of the corrective-action register and of management reviews (storage.models re-exports them)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class ManagementReview(Base):
    """A management review (ISO 22301 9.3) as recorded: when, who attended, what was decided."""

    __tablename__ = "management_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date]
    plan_key: Mapped[str | None] = mapped_column(String(64))  # None: the whole programme
    attendees: Mapped[list] = mapped_column(default=list)  # Slack user IDs
    decisions: Mapped[list] = mapped_column(default=list)  # text, one per decision
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime]


class CorrectiveAction(Base):
    """One corrective action: `A-<id>`. Its source is an incident or exercise (`incident_id`) or a management
    review (`review_id`); `source_note` is the finding or decision it answers."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_status_due_on", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(32), index=True)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(8))  # open, done, dropped
    plan_key: Mapped[str] = mapped_column(String(64), index=True)
    source_kind: Mapped[str] = mapped_column(String(16))  # incident, exercise, review
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("management_reviews.id"), index=True)
    source_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closing_note: Mapped[str | None] = mapped_column(Text)
    # The action's card in its incident channel (`/activate action`), edited in place.
    card_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    # The reminder sweep's cache: every stage up to this one of this due date is dealt with.
    reminded_for: Mapped[date | None]
    reminded_stage: Mapped[int | None]
    late_told_for: Mapped[date | None]  # the plan owners were told it is a week late (for this due date)


class ActionEvent(Base):
    """Append-only: an action's history (created, edited, re-dated, done, dropped)."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(default=dict)
