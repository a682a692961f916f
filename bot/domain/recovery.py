"""An incident's affected services and their recovery clocks: the RTO deadline from the disruption's start,
the marks the lead is told about (75% of the RTO, its breach, the MTPD's breach), and whether each objective
was met."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.remit import Objectives, rank

WARN_SHARE = 0.75  # the lead is nudged once this share of an RTO has passed


class Mark(StrEnum):
    """A mark on a service's clock; the lead is told once at each."""

    WARN = "rto_75"
    RTO = "rto_breach"
    MTPD = "mtpd_breach"


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    RUNNING = "running"  # not recovered yet, the objective not yet passed


@dataclass(frozen=True)
class Marks:
    warn_at: datetime | None
    rto_due_at: datetime | None
    mtpd_due_at: datetime | None


def marks(objectives: Objectives, disrupted_at: datetime) -> Marks:
    rto = timedelta(minutes=objectives.rto_minutes) if objectives.rto_minutes else None
    mtpd = timedelta(minutes=objectives.mtpd_minutes) if objectives.mtpd_minutes else None
    return Marks(warn_at=disrupted_at + rto * WARN_SHARE if rto else None,
                 rto_due_at=disrupted_at + rto if rto else None,
                 mtpd_due_at=disrupted_at + mtpd if mtpd else None)


@dataclass(frozen=True)
class AffectedService:
    id: int
    incident_id: int
    name: str
    priority: int | None
    rto_minutes: int | None
    mtpd_minutes: int | None
    disrupted_at: datetime
    warn_at: datetime | None
    rto_due_at: datetime | None
    mtpd_due_at: datetime | None
    added_at: datetime
    added_by: str | None = None
    removed_at: datetime | None = None
    recovered_at: datetime | None = None
    recovered_by: str | None = None
    warned_at: datetime | None = None
    rto_told_at: datetime | None = None
    mtpd_told_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def rto_outcome(self, now: datetime) -> Outcome | None:
        return outcome(self.rto_due_at, self.recovered_at, passed=self.rto_due_at is not None and now > self.rto_due_at)

    def mtpd_outcome(self, now: datetime) -> Outcome | None:
        return outcome(self.mtpd_due_at, self.recovered_at,
                       passed=self.mtpd_due_at is not None and now > self.mtpd_due_at)

    def downtime(self, now: datetime) -> timedelta:
        return max((self.recovered_at or now) - self.disrupted_at, timedelta(0))


def outcome(due: datetime | None, recovered_at: datetime | None, *, passed: bool) -> Outcome | None:
    """Met or missed once recovered; before that, missed once the objective has `passed`, else running."""
    if due is None:
        return None
    if recovered_at is not None:
        return Outcome.MET if recovered_at <= due else Outcome.MISSED
    return Outcome.MISSED if passed else Outcome.RUNNING


def in_recovery_order(services: list[AffectedService]) -> list[AffectedService]:
    """Priority 1 first, unranked last, otherwise in the order they were added."""
    return sorted(services, key=lambda s: (*rank(s.priority), s.id))


def passed(service: AffectedService, now: datetime) -> list[Mark]:
    """The marks this running clock has passed and nobody was told about yet. Past the RTO, its 75% mark is
    no longer news: it is recorded as told with the breach, not said."""
    if service.recovered_at is not None or service.removed_at is not None:
        return []
    found = []
    if service.rto_due_at and service.rto_due_at <= now and service.rto_told_at is None:
        found.append(Mark.RTO)
    elif service.warn_at and service.warn_at <= now and service.warned_at is None and service.rto_told_at is None:
        found.append(Mark.WARN)
    if service.mtpd_due_at and service.mtpd_due_at <= now and service.mtpd_told_at is None:
        found.append(Mark.MTPD)
    return found
