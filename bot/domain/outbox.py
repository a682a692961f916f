"""The outbox's vocabulary: a Slack effect owed by a committed change (see docs/durable-road.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# A task that failed this often is left alone (logged); a Slack outage of about an hour is ridden out.
MAX_ATTEMPTS = 20
_MAX_PAUSE = timedelta(minutes=5)


@dataclass(frozen=True)
class Task:
    """One effect: `kind` names the worker's task function; `name` is unique within its subject
    (default: the kind); `depends_on` names a task of the same subject that must be done first."""

    kind: str
    name: str | None = None
    args: dict = field(default_factory=dict)
    depends_on: str | None = None

    @property
    def key(self) -> str:
        return self.name or self.kind


@dataclass(frozen=True)
class ClaimedTask:
    id: int
    subject: str
    name: str
    kind: str
    args: dict
    attempts: int  # including this one
    version: int  # the `armed` count this run serves

    @property
    def subject_id(self) -> int | str:
        return subject_id(self.subject)


def incident_subject(incident_id: int) -> str:
    return f"incident:{incident_id}"


def request_subject(request_id: int) -> str:
    return f"request:{request_id}"


def plan_subject(plan_id: str) -> str:
    return f"plan:{plan_id}"


def intent_subject(intent_id: int) -> str:
    return f"intent:{intent_id}"


def subject_id(subject: str) -> int | str:
    _, _, value = subject.partition(":")
    return int(value) if value.isdigit() else value


def retry_pause(attempts: int) -> timedelta:
    """How long a failed task waits before it is tried again: 2, 4, 8 ... seconds, at most 5 minutes."""
    return min(timedelta(seconds=2 ** min(attempts, 12)), _MAX_PAUSE)


@dataclass(frozen=True)
class ClaimedIntent:
    """A recorded intent, taken by a worker to run (see bot.worker.intents)."""

    id: int
    kind: str
    actor: str | None
    payload: dict
    tell: dict
    attempts: int  # including this one
