"""Models of the roles of an incident: who holds each role its steps name, and who is being asked to cover
(storage.models re-exports them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class IncidentRole(Base):
    """A role of an incident (bot.usecases.roles): its holder now, and the cover being sought when the holder
    cannot act (an alternate asked, in the plan's order; `asked` keeps everyone asked or passed over)."""

    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    plan_holder: Mapped[str | None] = mapped_column(String(32))  # as the plan says (None: not in this workspace)
    holder: Mapped[str | None] = mapped_column(String(32))
    holder_since: Mapped[datetime]
    # held; asking (an alternate is asked to cover); uncovered (nobody left to ask: the lead was told)
    state: Mapped[str] = mapped_column(String(16), default="held")
    asking: Mapped[str | None] = mapped_column(String(32))
    asking_since: Mapped[datetime | None]
    asked: Mapped[list] = mapped_column(default=list)
