"""A roll call's values and arithmetic: answers, the tally, and how fast people answered (no Slack, no SQL)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# At most one edit of a tally message per this long (chat.update is Slack's tier 3, ~50 a minute).
TALLY_EVERY = timedelta(seconds=2)


class Answer(StrEnum):
    SAFE = "safe"
    CANT_WORK = "cant_work"
    NEED_HELP = "need_help"


ANSWER_LABELS = {Answer.SAFE: "I'm safe", Answer.CANT_WORK: "Safe, but can't work", Answer.NEED_HELP: "I need help"}
ANSWER_WORDS = {Answer.SAFE: "safe", Answer.CANT_WORK: "safe, can't work", Answer.NEED_HELP: "needs help"}


class Delivery(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # Slack refused the DM for good: "not reached"


@dataclass(frozen=True)
class RollCall:
    id: int
    incident_id: int | None
    plan_key: str
    plan_version_id: int
    is_drill: bool
    started_by: str
    lead_user_id: str
    started_at: datetime
    remind_at: datetime
    escalate_at: datetime
    tally_channel: str | None = None
    tally_ts: str | None = None
    rendered_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def ref(self) -> str:
        """How messages name it: the incident's reference (set by the caller), else RC-n."""
        return f"RC-{self.id}"


@dataclass(frozen=True)
class Asked:
    """One person asked, with their latest answer and their DM's delivery."""

    user_id: str
    name: str
    answer: Answer | None = None
    answered_at: datetime | None = None
    recorded_by: str | None = None
    delivery: Delivery = Delivery.PENDING
    delivery_code: str | None = None
    sent_at: datetime | None = None
    dm_channel: str | None = None
    dm_ts: str | None = None
    reminded_at: datetime | None = None

    @property
    def not_reached(self) -> bool:
        return self.answer is None and self.delivery is Delivery.FAILED


@dataclass(frozen=True)
class AnswerRecord:
    user_id: str
    answer: Answer
    at: datetime
    recorded_by: str | None = None


@dataclass(frozen=True)
class Tally:
    safe: int
    cant_work: int
    need_help: int
    no_answer: int
    not_reached: int  # of no_answer: the DM never arrived
    total: int
    need_help_people: tuple[Asked, ...]
    waiting_people: tuple[Asked, ...]  # no answer yet (not reached ones included, flagged)

    @property
    def answered(self) -> int:
        return self.total - self.no_answer


def tally(people: list[Asked]) -> Tally:
    by = {a: [p for p in people if p.answer is a] for a in Answer}
    waiting = tuple(p for p in people if p.answer is None)
    return Tally(safe=len(by[Answer.SAFE]), cant_work=len(by[Answer.CANT_WORK]), need_help=len(by[Answer.NEED_HELP]),
                 no_answer=len(waiting), not_reached=sum(1 for p in waiting if p.not_reached), total=len(people),
                 need_help_people=tuple(by[Answer.NEED_HELP]), waiting_people=waiting)


def times_to_share(started_at: datetime, answers: list[AnswerRecord], total: int,
                   shares: tuple[int, ...] = (50, 90, 100)) -> dict[int, timedelta | None]:
    """How long after the start `share`% of the people asked had answered (their first answer counts);
    None where that share was never reached."""
    first: dict[str, datetime] = {}
    for record in sorted(answers, key=lambda r: r.at):
        first.setdefault(record.user_id, record.at)
    times = sorted(first.values())
    out: dict[int, timedelta | None] = {}
    for share in shares:
        needed = -(-share * total // 100)  # ceiling: 50% of 5 people is 3
        out[share] = (times[needed - 1] - started_at) if total and needed <= len(times) else None
    return out


@dataclass(frozen=True)
class RollCallLine:
    """A roll call in one line (App Home): the counts, and how long until half, 90% and all had answered."""

    tally: Tally
    to_share: dict[int, timedelta | None]
    drill: bool = False


def roll_call_line(started_at: datetime, people: list[Asked], first_answers: dict[str, datetime],
                   drill: bool = False) -> RollCallLine:
    answers = [AnswerRecord(user, Answer.SAFE, at) for user, at in first_answers.items()]
    return RollCallLine(tally(people), times_to_share(started_at, answers, len(people)), drill)
