"""Corrective actions (ISO 22301 10.1): the register's values and its reminder schedule. Pure: no Slack, no
database, no clock of its own.

An action has a reference (`A-7`), a title, an owner, a due date, a source (the incident or exercise it came
from, or a management review, with the finding or decision it answers) and a status: open, done (with what
was done) or dropped (with why).

Its owner is reminded on a schedule of days relative to the due date, like a plan's review:

    -3      three days before
     0      on the day
    +3, +6… every OVERDUE_EVERY_DAYS while overdue

and the plan's owners are told once, when it is LATE_NOTICE_DAYS overdue. Only the latest stage fallen due
is sent (a bot that was down sends one, not each it missed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

BEFORE_DAYS = 3
OVERDUE_EVERY_DAYS = 3
LATE_NOTICE_DAYS = 7
DEFAULT_DUE_DAYS = 14  # `/activate action TEXT`: due two weeks from today
TITLE_MAX = 300
NOTE_MAX = 1000  # what was done, why it was dropped
ROWS_MAX = 10  # action rows in one form (each row is three blocks: Slack allows 100 a modal)
REVIEW_PREFIX = "MR"  # management reviews: MR-3

# The `kind`s of the reminder ledger (reminder_claims.kind, at most 8 characters); the ledger's plan_key is
# the action's reference, so each action's reminders are its own.
REMINDER_KIND = "action"
LATE_KIND = "act_late"

_REF = re.compile(r"^\s*A-?(\d{1,9})\s*$", re.IGNORECASE)


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class SourceKind(StrEnum):
    INCIDENT = "incident"
    EXERCISE = "exercise"
    REVIEW = "review"  # a management review


def action_ref(action_id: int) -> str:
    return f"A-{action_id}"


def parse_action_ref(text: str) -> int | None:
    """'A-7', 'a7' -> 7; None for anything else."""
    found = _REF.match(text or "")
    return int(found.group(1)) if found else None


def review_ref(review_id: int) -> str:
    return f"{REVIEW_PREFIX}-{review_id}"


@dataclass(frozen=True)
class ActionInput:
    """One row of an actions form (or `/activate action`): what to do, who, by when."""

    title: str
    owner: str
    due_on: date


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    plan_key: str
    incident_id: int | None = None
    review_id: int | None = None
    note: str | None = None  # the finding or decision it answers

    @property
    def ref(self) -> str | None:
        """BC-12 or MR-3."""
        if self.incident_id is not None:
            return f"BC-{self.incident_id}"
        if self.review_id is not None:
            return review_ref(self.review_id)
        return None


@dataclass(frozen=True)
class Action:
    id: int
    title: str
    owner: str
    due_on: date
    status: ActionStatus
    source: Source
    created_at: datetime
    created_by: str
    closed_at: datetime | None = None
    closed_by: str | None = None
    closing_note: str | None = None
    card_channel: str | None = None  # the action's card in its incident channel (`/activate action`)
    card_ts: str | None = None

    @property
    def ref(self) -> str:
        return action_ref(self.id)

    @property
    def plan_key(self) -> str:
        return self.source.plan_key

    def overdue(self, today: date) -> bool:
        return self.status is ActionStatus.OPEN and self.due_on < today


@dataclass(frozen=True)
class ActionEvent:
    """One change in an action's history (created, given, re-dated, done, dropped)."""

    action_id: int
    at: datetime
    actor: str
    kind: str
    data: dict


@dataclass(frozen=True)
class ManagementReview:
    id: int
    held_on: date
    attendees: tuple[str, ...]  # Slack user IDs
    decisions: tuple[str, ...]
    recorded_by: str
    recorded_at: datetime
    plan_key: str | None = None

    @property
    def ref(self) -> str:
        return review_ref(self.id)


@dataclass(frozen=True)
class ReviewInput:
    """The management review form: when, who, what was decided (one per line) and the actions it gave."""

    held_on: date
    attendees: tuple[str, ...]
    decisions: tuple[str, ...]
    actions: tuple[ActionInput, ...] = ()
    plan_id: str | None = None


# The schedule ---------------------------------------------------------------------------------------------
def reminder_stage(due_on: date, day: date) -> int | None:
    """The latest stage (days after the due date) fallen due by `day`, or None before the first."""
    offset = (day - due_on).days
    if offset < -BEFORE_DAYS:
        return None
    if offset < 0:
        return -BEFORE_DAYS
    return offset // OVERDUE_EVERY_DAYS * OVERDUE_EVERY_DAYS


def late_notice_due(due_on: date, day: date) -> bool:
    """Whether the plan's owners are owed their one notice that the action is a week late."""
    return (day - due_on).days >= LATE_NOTICE_DAYS


def default_due(today: date) -> date:
    return today + timedelta(days=DEFAULT_DUE_DAYS)


def describe_due(due_on: date, today: date) -> str:
    days = (due_on - today).days
    if days > 1:
        return f"due in {days} days"
    if days == 1:
        return "due tomorrow"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


def matches(action: Action, status: str | None, today: date) -> bool:
    """The `--status` filter of `bcbot actions`: open, done, dropped, or overdue (open and past due)."""
    if status is None:
        return True
    if status == "overdue":
        return action.overdue(today)
    return action.status.value == status
