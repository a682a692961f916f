"""Model of an incident's affected services and their recovery clocks (storage.models re-exports it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class IncidentService(Base):
    """A service an incident affects (bot.usecases.recovery), with its objectives as the plan said at the time,
    the marks its clock passes (75% of the RTO, the RTO, the MTPD) and when each was told (once each), and
    when it was recovered. A service taken off the incident keeps its row (`removed_at`)."""

    __tablename__ = "incident_services"
    __table_args__ = (UniqueConstraint("incident_id", "name"),
                      Index("ix_incident_services_running", "recovered_at", "removed_at", "warn_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(75))
    priority: Mapped[int | None]
    rto_minutes: Mapped[int | None]
    mtpd_minutes: Mapped[int | None]
    disrupted_at: Mapped[datetime]
    warn_at: Mapped[datetime | None]  # 75% of the RTO
    rto_due_at: Mapped[datetime | None]
    mtpd_due_at: Mapped[datetime | None]
    added_at: Mapped[datetime]
    added_by: Mapped[str | None] = mapped_column(String(32))
    removed_at: Mapped[datetime | None]
    recovered_at: Mapped[datetime | None]
    recovered_by: Mapped[str | None] = mapped_column(String(32))
    warned_at: Mapped[datetime | None]
    rto_told_at: Mapped[datetime | None]
    mtpd_told_at: Mapped[datetime | None]
