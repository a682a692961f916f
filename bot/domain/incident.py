"""The incident's life: states, the table of allowed transitions, references and channel names."""
from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from bot.domain.errors import InvalidTransition
from bot.domain.plan import PhaseKey
from bot.domain.text import slug


class IncidentState(StrEnum):
    INCIDENT_MANAGEMENT = PhaseKey.INCIDENT_MANAGEMENT.value
    BUSINESS_CONTINUITY = PhaseKey.BUSINESS_CONTINUITY.value
    RESUMPTION_RECOVERY = PhaseKey.RESUMPTION_RECOVERY.value
    STOOD_DOWN = "stood_down"


class IncidentEvent(StrEnum):
    ADVANCE_PHASE = "advance_phase"
    STAND_DOWN = "stand_down"


TRANSITIONS: dict[tuple[IncidentState, IncidentEvent], IncidentState] = {
    (IncidentState.INCIDENT_MANAGEMENT, IncidentEvent.ADVANCE_PHASE): IncidentState.BUSINESS_CONTINUITY,
    (IncidentState.BUSINESS_CONTINUITY, IncidentEvent.ADVANCE_PHASE): IncidentState.RESUMPTION_RECOVERY,
    (IncidentState.INCIDENT_MANAGEMENT, IncidentEvent.STAND_DOWN): IncidentState.STOOD_DOWN,
    (IncidentState.BUSINESS_CONTINUITY, IncidentEvent.STAND_DOWN): IncidentState.STOOD_DOWN,
    (IncidentState.RESUMPTION_RECOVERY, IncidentEvent.STAND_DOWN): IncidentState.STOOD_DOWN,
}

STATE_LABELS = {
    IncidentState.INCIDENT_MANAGEMENT: "Incident management",
    IncidentState.BUSINESS_CONTINUITY: "Business continuity",
    IncidentState.RESUMPTION_RECOVERY: "Resumption and recovery",
    IncidentState.STOOD_DOWN: "Stood down",
}


def next_state(state: IncidentState | str, event: IncidentEvent) -> IncidentState:
    state = IncidentState(state)
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(
            f"This incident is {STATE_LABELS[state].lower()}; it cannot {event.value.replace('_', ' ')}."
        ) from None


def is_open(state: IncidentState | str) -> bool:
    return IncidentState(state) is not IncidentState.STOOD_DOWN


REFERENCE_PREFIX = "BC-"
_REFERENCE = re.compile(r"^\s*(?:BC-?)?(\d+)\s*$", re.IGNORECASE)


def reference(incident_id: int) -> str:
    return f"{REFERENCE_PREFIX}{incident_id}"


def parse_reference(text: str) -> int | None:
    """'BC-12', 'bc12' or '12' -> 12."""
    match = _REFERENCE.match(text or "")
    return int(match.group(1)) if match else None


OTHER_CIRCUMSTANCE = "Other"
CHANNEL_NAME_MAX = 80


def channel_name(*, on: date, circumstance: str, exercise: bool = False, attempt: int = 1) -> str:
    """A valid Slack channel name: lowercase, digits, hyphens; at most 80 characters.

    `attempt` > 1 adds a suffix, used when Slack answers `name_taken`.
    """
    prefix = f"bc-{'exercise-' if exercise else ''}{on.isoformat()}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = CHANNEL_NAME_MAX - len(prefix) - len(suffix) - 1
    body = slug(circumstance, room) or "incident"
    return f"{prefix}-{body}{suffix}"
