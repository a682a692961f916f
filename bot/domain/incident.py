"""The incident's life: states, the table of allowed transitions, references and channel names."""
from __future__ import annotations

import hashlib
import re
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
CHANNEL_NAME_MAX = 30
CHANNEL_WORDS_MAX = 3
# Words that make a circumstance read well and its channel's name long: "Loss of critical systems" -> critical-systems.
_FILLER = frozenset("loss of the a an and or to for in on at by with from e g eg i ie etc".split())


def channel_words(circumstance: str, short: str | None = None) -> str:
    """The readable part of a channel's name: the plan's `short` name, else up to three words of the circumstance."""
    if short:
        return slug(short, CHANNEL_NAME_MAX)
    words = [w for w in slug(circumstance, 300).split("-") if w and w not in _FILLER]
    return "-".join(words[:CHANNEL_WORDS_MAX])


def channel_name(*, incident_id: int, words: str = "", exercise: bool = False, suffix: str = "") -> str:
    """A valid Slack channel name of at most 30 characters: bc-12, then `words` (cut at a whole word to
    make room), then `suffix`. bc-12 alone for a confidential incident (no words)."""
    base = reference(incident_id).lower() + ("-exercise" if exercise else "")
    tail = f"-{suffix}" if suffix else ""
    kept: list[str] = []
    for word in (w for w in words.split("-") if w):
        if len(base) + len(tail) + len("-".join([*kept, word])) + 1 > CHANNEL_NAME_MAX:
            break
        kept.append(word)
    return base + "".join(f"-{w}" for w in kept) + tail


def channel_names(*, incident_id: int, words: str, exercise: bool, salt: str) -> list[str]:
    """The names an incident's channel is tried under, in order: the plain one (the reference makes it
    unique among this bcbot's incidents); then with a short hash of `salt`, for when someone else (a
    person, another bcbot) has that one. Always the same names for one incident, so a retry after a
    lost answer finds the channel it made under either."""
    digest = hashlib.sha256(f"{incident_id}:{salt}".encode()).hexdigest()[:5]
    return [channel_name(incident_id=incident_id, words=words, exercise=exercise, suffix=suffix)
            for suffix in ("", digest)]
