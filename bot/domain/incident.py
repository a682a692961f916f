"""The incident's life: states, the table of allowed transitions, references and channel names."""
from __future__ import annotations

import hashlib
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


def channel_name(*, on: date, circumstance: str, exercise: bool = False, suffix: str = "") -> str:
    """A valid Slack channel name: lowercase, digits, hyphens; at most 80 characters (the circumstance is
    cut to make room for `suffix`)."""
    prefix = f"bc-{'exercise-' if exercise else ''}{on.isoformat()}"
    tail = f"-{slug(suffix, 20)}" if suffix else ""
    room = CHANNEL_NAME_MAX - len(prefix) - len(tail) - 1
    body = slug(circumstance, room) or "incident"
    return f"{prefix}-{body}{tail}"


def channel_names(*, on: date, circumstance: str, exercise: bool, incident_id: int, salt: str) -> list[str]:
    """The names an incident's channel is tried under, in order: the plain one; then with the incident's
    reference (unique among this bcbot's incidents); then with a short hash of `salt` too, for when
    someone else (a person, another bcbot) has that one. Three `conversations.create` calls at most,
    however many incidents share the name on one day, and always the same names for one incident, so
    a retry after a lost answer finds the channel it made under any of them."""
    ref = reference(incident_id).lower()
    digest = hashlib.sha256(f"{incident_id}:{salt}".encode()).hexdigest()[:5]
    return [channel_name(on=on, circumstance=circumstance, exercise=exercise, suffix=suffix)
            for suffix in ("", ref, f"{ref}-{digest}")]
