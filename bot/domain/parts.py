"""A person's part in a plan ("know your part"): the roles they hold, the roles they cover as an alternate (with
their place in the order), their steps per phase (the steps whose `owner_role` is a role they hold) and who covers
them. Everyone the plan names has a part: someone with no role is still asked in roll calls.

A part's hash covers what their card says about them and nothing else: a typo fixed elsewhere in the plan (another
person's step, a phase's purpose or title, the plan's title) leaves it, and their acknowledgement, standing; a
change to their roles, their steps (title, due time) or who covers them is a new part, acknowledged anew."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.plan_people import Person, identity
from bot.domain.roles import plan_roles, role_key

if TYPE_CHECKING:
    from bot.domain.plan import Plan


@dataclass(frozen=True)
class PartStep:
    title: str
    role: str  # the role it is given to (`owner_role`), as the role is named
    due_minutes: int | None  # `due_within`, in minutes after the phase starts


@dataclass(frozen=True)
class Covering:
    """A role this person covers: asked `place`-th of `of` alternates when its holder cannot act."""

    role: str
    place: int
    of: int
    holder: str  # the holder's name


@dataclass(frozen=True)
class CoveredBy:
    """Who covers one of this person's roles, in the order they are asked."""

    role: str
    alternates: tuple[str, ...]


@dataclass(frozen=True)
class PersonPart:
    person: Person
    holds: tuple[str, ...] = ()
    covers: tuple[Covering, ...] = ()
    steps: tuple[tuple[str, tuple[PartStep, ...]], ...] = ()  # (phase key, its steps), phases in order, none empty
    covered_by: tuple[CoveredBy, ...] = ()

    @property
    def step_count(self) -> int:
        return sum(len(steps) for _, steps in self.steps)

    @property
    def digest(self) -> str:
        """The part's hash: of what it says, not of who it is for (their name's spelling is not their part)."""
        content = {"holds": self.holds, "covers": [asdict(c) for c in self.covers],
                   "steps": [[phase, [asdict(s) for s in steps]] for phase, steps in self.steps],
                   "covered_by": [asdict(c) for c in self.covered_by]}
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class PartRecord:
    """The card of a person's part as bcbot owes, sent and saw acknowledged it (the `plan_parts` table)."""

    plan_key: str
    user_id: str
    name: str
    part_hash: str  # the part of the latest card owed to them
    generation: int  # cards owed to them so far for this plan: names each card's outbox task
    plan_version_id: int  # the plan version that card shows
    owed_at: datetime
    sent_at: datetime | None = None
    acked_hash: str | None = None
    acked_at: datetime | None = None
    delivery_code: str | None = None  # Slack refused the card for good (a deactivated user): not reached

    def acknowledged(self, part_hash: str) -> bool:
        return self.acked_hash == part_hash


@dataclass(frozen=True)
class Coverage:
    """How many of a plan's people acknowledged their part as it stands (`bcbot plan status`, App Home)."""

    plan_key: str
    total: int
    acknowledged: tuple[str, ...]  # names
    waiting: tuple[str, ...]  # names of those who have not acknowledged their part as it stands
    not_in_slack: tuple[str, ...] = ()  # named by an email Slack has not resolved: no card can reach them

    @property
    def line(self) -> str:
        return f"{len(self.acknowledged)} of {self.total} acknowledged their part"


def _is(person: Person, other: Person) -> bool:
    return bool(identity(person) & identity(other))


def parts_of(plan: Plan) -> list[PersonPart]:
    """Every person the plan names (each once, in the roll call's order), with their part."""
    roles = list(plan_roles(plan).values())
    steps_by_role: dict[str, list[tuple[str, PartStep]]] = {}
    names = {role_key(r.name): r.name for r in roles}
    for phase in plan.phases:
        for step in phase.steps:
            key = role_key(step.owner_role or "")
            if key in names:
                steps_by_role.setdefault(key, []).append(
                    (phase.key.value, PartStep(step.title, names[key], step.due_within_minutes)))
    found = []
    for person in plan.roll_call_people():
        held = [r for r in roles if _is(r.holder, person)]
        covers = tuple(Covering(r.name, place, len(r.alternates), r.holder.name)
                       for r in roles for place, alt in enumerate(r.alternates, 1) if _is(alt, person))
        mine = [s for r in held for s in steps_by_role.get(role_key(r.name), [])]
        by_phase = tuple((phase.key.value, tuple(s for key, s in mine if key == phase.key.value))
                         for phase in plan.phases)
        found.append(PersonPart(
            person=person, holds=tuple(r.name for r in held), covers=covers,
            steps=tuple((key, steps) for key, steps in by_phase if steps),
            covered_by=tuple(CoveredBy(r.name, tuple(a.name for a in r.alternates)) for r in held)))
    return found


def coverage(plan: Plan, records: dict[str, PartRecord], user_id) -> Coverage:
    """Who has acknowledged their part as the plan stands now. `records`: the plan's cards by user ID;
    `user_id(person)`: their Slack user ID if known (None: an email Slack has not resolved)."""
    acked: list[str] = []
    waiting: list[str] = []
    unresolved: list[str] = []
    for part in parts_of(plan):
        user = user_id(part.person)
        record = records.get(user) if user else None
        if record is not None and record.acknowledged(part.digest):
            acked.append(part.person.name)
        else:
            waiting.append(part.person.name)
            if user is None:
                unresolved.append(part.person.name)
    return Coverage(plan.id, len(acked) + len(waiting), tuple(acked), tuple(waiting), tuple(unresolved))


def due_words(minutes: int | None) -> str:
    """'within 30m', 'within 2h 30m', 'within 1d': how a card says a step's due time."""
    if minutes is None:
        return ""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    words = " ".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "m")) if n)
    return f"within {words}"
