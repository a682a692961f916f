"""Review and test reminders: pure schedule maths (no Slack, no database, no clock of its own).

A plan has two dated obligations, its next *review* and its next *test*. Each has a due date (a
calendar day). Its reminder *stages* are days relative to that date:

    -30, -7   `before_days` before it (per plan, default [30, 7])
      0       on the day
     +7, +14…  every `overdue_every_days` while overdue, plus `escalate_after_days` itself

A stage is identified by its offset in days (negative before the due date). A stage falls due at
`BCBOT_REMINDER_HOUR` in `BCBOT_TIMEZONE` on its day; the instant is worked out with zoneinfo, so
a reminder at 09:00 Europe/London is 09:00 local on either side of a daylight-saving change.

Only the *latest* stage that has fallen due is ever sent: if the bot was down while the 30-day and
7-day stages fell due, it sends the 7-day one only. From `escalate_after_days` overdue on, the
activation team is told as well as the owners.

"Snooze 1 week" silences a reminder until the reminder hour seven days later; the day the snooze
ends then counts as one more stage of that reminder, so the person hears again after a week (and
the regular cadence carries on from there).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

SNOOZE_DAYS = 7


class Kind(StrEnum):
    """What a reminder is about (the `kind` part of a reminder's unique key)."""

    REVIEW = "review"
    TEST = "test"
    # The request for a post-incident review after a stand-down; its "stage" is the incident ID.
    POST_INCIDENT = "pir"


class PlanTestType(StrEnum):
    WALKTHROUGH = "walkthrough"
    TABLETOP = "tabletop"
    SIMULATION = "simulation"
    LIVE = "live"
    EXERCISE = "exercise"  # an exercise run in Slack with `/activate exercise`
    CALL_TREE = "call_tree"  # a roll call of an exercise, or `/activate drill` on its own


# The types a person can record for a test held outside Slack.
OUTSIDE_TEST_TYPES = (PlanTestType.WALKTHROUGH, PlanTestType.TABLETOP, PlanTestType.SIMULATION, PlanTestType.LIVE)
TEST_TYPE_LABELS = {
    PlanTestType.WALKTHROUGH: "Walkthrough",
    PlanTestType.TABLETOP: "Tabletop exercise",
    PlanTestType.SIMULATION: "Simulation",
    PlanTestType.LIVE: "Live test",
    PlanTestType.EXERCISE: "Exercise in Slack",
    PlanTestType.CALL_TREE: "Call-tree test (roll call)",
}


@dataclass(frozen=True)
class Schedule:
    before_days: tuple[int, ...] = (30, 7)
    overdue_every_days: int = 7
    escalate_after_days: int = 14

    @classmethod
    def of(cls, reminders) -> "Schedule":
        """From a plan's `reminders:` section (bot.plan.Reminders)."""
        return cls(before_days=tuple(sorted(set(reminders.before_days), reverse=True)),
                   overdue_every_days=reminders.overdue_every_days,
                   escalate_after_days=reminders.escalate_after_days)

    @property
    def horizon_days(self) -> int:
        """How many days before its due date a reminder can first fall due."""
        return max(self.before_days, default=0)


# Time -----------------------------------------------------------------------------------------
def reminder_instant(day: date, tz: ZoneInfo, hour: int) -> datetime:
    """When reminders of `day` go out: `hour`:00 local on that day, as UTC.

    On a day when that local time does not exist (spring forward) or happens twice (fall back),
    zoneinfo's fold=0 rule applies: the offset in force before the change.
    """
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(timezone.utc)


def reminder_day(now: datetime, tz: ZoneInfo, hour: int) -> date:
    """The latest local day whose reminder hour has come by `now`."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: bcbot works in timezone-aware UTC")
    day = now.astimezone(tz).date()
    if now < reminder_instant(day, tz, hour):
        day -= timedelta(days=1)
    return day


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's end (29 Feb + 12 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def snooze_until(now: datetime, tz: ZoneInfo, hour: int, days: int = SNOOZE_DAYS) -> datetime:
    """The end of a snooze started at `now`: the reminder hour `days` local days later."""
    return reminder_instant(local_today(now, tz) + timedelta(days=days), tz, hour)


# Stages ---------------------------------------------------------------------------------------
def latest_stage(due_on: date, day: date, schedule: Schedule) -> int | None:
    """The offset of the latest regular stage falling on or before `day`, or None if none has yet."""
    offset = (day - due_on).days
    if offset < 0:
        passed = [-b for b in schedule.before_days if -b <= offset]
        return max(passed) if passed else None
    stage = offset // schedule.overdue_every_days * schedule.overdue_every_days
    if schedule.escalate_after_days <= offset:
        stage = max(stage, schedule.escalate_after_days)
    return stage


def stages_through(due_on: date, day: date, schedule: Schedule) -> list[int]:
    """Every regular stage falling on or before `day` that could be the latest on some day up to it:
    the before-stages and the due day (used to mark them covered by a message sent another way)."""
    latest = latest_stage(due_on, day, schedule)
    if latest is None:
        return []
    return sorted({s for s in [*(-b for b in schedule.before_days), 0] if s <= latest} | {latest})


@dataclass(frozen=True)
class DueReminder:
    """One reminder stage to send now (to every recipient it has)."""

    kind: Kind
    due_on: date
    stage: int
    escalated: bool
    after_snooze: bool = False

    def key(self, plan_key: str, recipient: str) -> "ReminderKey":
        return ReminderKey(plan_key, self.kind, self.due_on, self.stage, recipient)


def due_reminder(kind: Kind, due_on: date | None, *, now: datetime, tz: ZoneInfo, hour: int, schedule: Schedule,
                 snoozed_until: datetime | None = None, day: date | None = None) -> DueReminder | None:
    """The stage of this reminder to send at `now`, if any has fallen due (the latest only).

    `day` is `reminder_day(now, tz, hour)`, passed in when the caller has worked it out already.
    """
    if due_on is None:
        return None
    if snoozed_until is not None and now < snoozed_until:
        return None
    if day is None:
        day = reminder_day(now, tz, hour)
    stage = latest_stage(due_on, day, schedule)
    after_snooze = False
    if snoozed_until is not None:
        snooze_end = (snoozed_until.astimezone(tz).date() - due_on).days
        if snooze_end <= (day - due_on).days and (stage is None or snooze_end > stage):
            stage, after_snooze = snooze_end, True
    if stage is None:
        return None
    return DueReminder(kind=kind, due_on=due_on, stage=stage, escalated=stage >= schedule.escalate_after_days,
                       after_snooze=after_snooze)


# Values the use cases, repositories and renderers share ------------------------------------------
@dataclass(frozen=True)
class ReminderKey:
    """The unique key of one sent reminder: it is claimed in the database before it is sent."""

    plan_key: str
    kind: str
    due_on: date
    stage: int
    recipient: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", str(self.kind))  # a plain str, whether given a Kind or not


class ClaimStatus(StrEnum):
    SENDING = "sending"  # claimed; the Slack call is under way (or its process died mid-call)
    SENT = "sent"
    FAILED = "failed"  # Slack definitely did not deliver it: retried on later sweeps, a few times
    UNKNOWN = "unknown"  # the call failed in a way that may have delivered it: never retried
    COVERED = "covered"  # another message did this stage's job (a post-incident review request)


@dataclass(frozen=True)
class Claim:
    id: int
    key: ReminderKey
    status: ClaimStatus
    attempts: int


class DueRow(NamedTuple):
    """What the sweep reads of a plan whose review or test is close (one light row per plan)."""

    plan_key: str
    next_review: date
    next_test: date
    review_snoozed_until: datetime | None
    test_snoozed_until: datetime | None
    review_reminded_for: date | None
    review_reminded_stage: int | None
    test_reminded_for: date | None
    test_reminded_stage: int | None

    def of(self, kind: Kind) -> tuple[date, datetime | None, date | None, int | None]:
        """(due date, snoozed until, reminded for, reminded stage) of the review or the test."""
        if kind == Kind.REVIEW:
            return self.next_review, self.review_snoozed_until, self.review_reminded_for, self.review_reminded_stage
        return self.next_test, self.test_snoozed_until, self.test_reminded_for, self.test_reminded_stage


@dataclass(frozen=True)
class Governance:
    """A plan's review and test record as the database holds it."""

    plan_key: str
    next_review: date | None
    next_test: date | None
    file_review_next: date | None = None
    file_test_next: date | None = None
    last_review_at: datetime | None = None
    last_review_by: str | None = None
    last_test_on: date | None = None
    last_test_by: str | None = None
    last_test_type: str | None = None
    last_test_notes: str | None = None
    last_test_incident_id: int | None = None
    review_snoozed_until: datetime | None = None
    test_snoozed_until: datetime | None = None
    review_flagged_after_incident: int | None = None
    unresolved_owners: tuple[str, ...] = ()
    unresolved_checked_at: datetime | None = None

    def next_date(self, kind: Kind | str) -> date | None:
        return self.next_review if kind == Kind.REVIEW else self.next_test

    def snoozed_until(self, kind: Kind | str) -> datetime | None:
        return self.review_snoozed_until if kind == Kind.REVIEW else self.test_snoozed_until


@dataclass(frozen=True)
class PlanTest:
    """A test of a plan: held outside Slack and recorded, or an exercise run in Slack."""

    plan_key: str
    test_type: PlanTestType
    held_on: date
    recorded_by: str | None
    notes: str = ""
    incident_id: int | None = None
    report: dict = field(default_factory=dict)


def next_test_after(held_on: date, interval_months: int) -> date:
    """A test is due again one review interval after it was held (the plan is tested every cycle)."""
    return add_months(held_on, interval_months)


def next_review_after(due_on: date, today: date, interval_months: int) -> date:
    """After a review: one interval after the due date if reviewed on time or early (keeping the
    anniversary), one interval after today if reviewed late (so it is never due again at once)."""
    return add_months(max(due_on, today), interval_months)


def describe_due(due_on: date, today: date) -> str:
    """'due in 7 days', 'due today', 'overdue by 3 days'."""
    days = (due_on - today).days
    if days > 1:
        return f"due in {days} days"
    if days == 1:
        return "due tomorrow"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


# What a reminder's buttons and the record-test form are about (carried by commands) --------------------
@dataclass(frozen=True)
class ReminderRef:
    """What a reminder's button says: the plan, the kind, and the due date it was about."""

    plan_id: str
    kind: Kind
    due_on: date


@dataclass(frozen=True)
class MessageRef:
    """A message bcbot sent (to update it in place)."""

    channel: str
    ts: str


@dataclass(frozen=True)
class RecordTestForm:
    plan_id: str
    test_type: PlanTestType
    held_on: date
    notes: str
