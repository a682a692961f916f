"""Plain values the use cases and renderers work with (no ORM, no Slack)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.incident import IncidentState, reference


@dataclass(frozen=True)
class DecisionInput:
    decision: str
    rationale: str | None = None
    options: str | None = None
    decided_by: str | None = None
    corrects: int | None = None
    source_link: str | None = None


@dataclass(frozen=True)
class UpdateInput:
    situation: str
    actions: str | None
    next_update_minutes: int | None


class StepStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_APPLICABLE = "na"


class RequestStatus(StrEnum):
    RECEIVED = "received"  # recorded at submit, not yet looked at
    PENDING = "pending"  # waiting for a team member's approval
    APPROVED = "approved"
    DECLINED = "declined"
    ACTIVATED = "activated"  # by a team member directly


@dataclass(frozen=True)
class ActivationForm:
    """What a person typed into the activation modal, validated."""

    plan_id: str
    circumstance: str
    summary: str
    services: tuple[str, ...]
    lead_user_id: str
    is_exercise: bool = False
    roll_call: bool = False  # "Run a roll call" (a form opened before the box existed: no roll call)
    confidential: bool = False
    disrupted_at: datetime | None = None  # when the disruption started (None: when the form was submitted)


@dataclass(frozen=True)
class ActivationRequest:
    id: int
    plan_version_id: int
    requested_by: str
    form: ActivationForm
    status: RequestStatus
    decided_by: str | None
    created_at: datetime
    approval_messages: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Incident:
    id: int
    plan_key: str
    plan_version_id: int
    is_exercise: bool
    circumstance: str
    summary: str
    services: tuple[str, ...]
    lead_user_id: str
    activated_by: str
    approved_by: str | None
    state: IncidentState
    channel_id: str | None
    channel_name: str | None
    header_ts: str | None
    announce_ts: str | None
    activated_at: datetime
    phase_started_at: datetime
    stood_down_at: datetime | None
    closing_summary: str | None = None
    next_update_due: datetime | None = None
    nudged_for: datetime | None = None
    confidential: bool = False
    disrupted_at: datetime | None = None

    @property
    def disruption_start(self) -> datetime:
        """When the disruption started, as the form said (an incident from before it asked: its activation)."""
        return self.disrupted_at or self.activated_at

    @property
    def ref(self) -> str:
        return reference(self.id)


@dataclass(frozen=True)
class Step:
    id: int
    incident_id: int
    phase: str
    position: int
    title: str
    owner_role: str | None
    due_within_minutes: int | None
    status: StepStatus
    changed_by: str | None
    changed_at: datetime | None
    assignee: str | None = None
    note: str | None = None
    na_reason: str | None = None

    def due_at(self, phase_started_at: datetime) -> datetime | None:
        if self.due_within_minutes is None:
            return None
        return phase_started_at + timedelta(minutes=self.due_within_minutes)


def carried_over(steps: list[Step], current: str, since: datetime) -> list[Step]:
    """Earlier phases' steps that the current phase's checklist shows too: still open, or finished since the
    current phase began (so the click that finished one shows there)."""
    order = [state.value for state in IncidentState if state is not IncidentState.STOOD_DOWN]
    if current not in order:
        return []
    earlier = set(order[:order.index(current)])
    return [s for s in steps if s.phase in earlier
            and (s.status is StepStatus.OPEN or (s.changed_at is not None and s.changed_at >= since))]


def phase_starts(incident: "Incident", changes: list[tuple[str, datetime]]) -> dict[str, datetime]:
    """When each phase the incident reached began: the activation, then each phase change (to, at)."""
    started = {IncidentState.INCIDENT_MANAGEMENT.value: incident.activated_at}
    for phase, at in changes:
        started[phase] = at
    return started



@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    def __str__(self) -> str:
        return f"{self.done}/{self.total} done"


def progress(steps: list[Step]) -> Progress:
    return Progress(done=sum(s.status is not StepStatus.OPEN for s in steps), total=len(steps))


@dataclass(frozen=True)
class LogEntry:
    id: int
    incident_id: int
    at: datetime
    actor: str | None
    kind: str
    summary: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """An entry in an incident's decision register (D1, D2, ...)."""

    id: int
    incident_id: int
    number: int
    decision: str
    rationale: str | None
    options: str | None
    decided_by: str
    logged_by: str
    corrects: int | None
    source_link: str | None
    at: datetime

    @property
    def label(self) -> str:
        return f"D{self.number}"
SNOOZE_MINUTES = (30, 60)  # a status-update nudge can be put off this long


# Paging state: only in the button value ---------------------------------------------------------
@dataclass(frozen=True)
class HomePage:
    """Which page of stood-down incidents to show: page 1 is the most recent; later pages start after
    `before`, the (stood_down_at, id) of the last incident on the previous page."""

    number: int = 1
    before: tuple[datetime, int] | None = None

    def value(self) -> dict:
        if self.before is None:
            return {"p": 1}
        at, incident_id = self.before
        return {"p": self.number, "t": at.isoformat(), "i": incident_id}

    @classmethod
    def from_value(cls, value: dict) -> "HomePage":
        """A page from a button value; anything malformed (an old or forged button) means page 1."""
        try:
            number, at, incident_id = value["p"], datetime.fromisoformat(value["t"]), value["i"]
        except (KeyError, TypeError, ValueError):
            return cls()
        if (not isinstance(number, int) or isinstance(number, bool) or not 1 < number < 1_000_000
                or not isinstance(incident_id, int) or isinstance(incident_id, bool) or incident_id <= 0
                or at.tzinfo is None):
            return cls()
        return cls(number=number, before=(at, incident_id))

    def next(self, last: Incident) -> "HomePage":
        assert last.stood_down_at is not None
        return HomePage(number=self.number + 1, before=(last.stood_down_at, last.id))
