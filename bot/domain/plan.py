"""The business continuity plan: a YAML file validated by pydantic.

Limits here keep every accepted plan renderable within Slack's Block Kit limits
(option text 75 chars, 100 options per select, header text 150 chars).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from bot.domain import plan_messages
from bot.domain.circumstance import Circumstance, CircumstanceEntry, find, name_of, unique
from bot.domain.durations import parse_duration
from bot.domain.plan_people import Person, Role, RollCall, Strict, identity
from bot.domain.remit import Objectives, RemitEntry, ranked, remit_problems
from bot.domain.roles import role_problems

__all__ = ["Person", "Plan", "PlanError", "PlanProblem", "Role", "RollCall", "Step", "load_plans"]


class PhaseKey(StrEnum):
    INCIDENT_MANAGEMENT = "incident_management"
    BUSINESS_CONTINUITY = "business_continuity"
    RESUMPTION_RECOVERY = "resumption_recovery"


PHASE_ORDER = (PhaseKey.INCIDENT_MANAGEMENT, PhaseKey.BUSINESS_CONTINUITY, PhaseKey.RESUMPTION_RECOVERY)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]


class Review(Strict):
    interval_months: int = Field(ge=1, le=60, examples=[12])
    next: date = Field(description="the next review date, YYYY-MM-DD", examples=["2027-11-15"])


class Testing(Strict):
    next: date = Field(description="the next test date, YYYY-MM-DD", examples=["2027-05-14"])


class Reminders(Strict):
    """When owners are reminded about review and test dates (days before the date)."""

    before_days: list[Annotated[int, Field(ge=1, le=365)]] = [30, 7]
    overdue_every_days: int = Field(default=7, ge=1, le=90)
    escalate_after_days: int = Field(default=14, ge=1, le=365)


class Activation(Strict):
    circumstances: list[CircumstanceEntry] = Field(min_length=1, max_length=99, examples=["Loss of critical systems"])
    confidential: bool = Field(default=False, description="the activation form starts with Confidential ticked")
    team: list[Person] = Field(min_length=1, max_length=100)
    contacts_url: Annotated[str, StringConstraints(pattern=r"^(https?://|/)\S*$", max_length=2000)] | None = Field(
        default=None, description="an http(s):// address, or a path such as /who/phone-directory joined to handbook_url",
        examples=["https://handbook.example.com/who/phone-directory"])

    @field_validator("circumstances")
    @classmethod
    def _unique_circumstances(cls, circumstances: list[str | Circumstance]) -> list[str | Circumstance]:
        return unique(circumstances)

    @property
    def circumstance_names(self) -> list[str]:
        return [name_of(c) for c in self.circumstances]

    def circumstance(self, name: str) -> Circumstance | None:
        return find(self.circumstances, name)

    def must_be_confidential(self, name: str) -> bool:
        return bool((found := self.circumstance(name)) and found.confidential)


class Step(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    owner_role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    due_within: str | None = Field(default=None, description="how soon after the phase starts: 30m, 2h, 1d or 1h30m",
                                   examples=["30m"])

    @field_validator("due_within")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v

    @property
    def due_within_minutes(self) -> int | None:
        return int(parse_duration(self.due_within).total_seconds() // 60) if self.due_within else None


class Phase(Strict):
    key: PhaseKey
    title: Title
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), WithJsonSchema(
        {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})] = Field(
        default="", description="one paragraph, or a list of points", examples=["Protect vital assets"])
    steps: list[Step] = Field(min_length=1, max_length=500)

    @field_validator("purpose", mode="before")
    @classmethod
    def _points(cls, v: object) -> object:
        # The seed plan writes a phase's purpose as bullet points: kept as one text, a point a line.
        if isinstance(v, list) and all(isinstance(p, str) for p in v):
            return "\n".join(f"• {p.strip()}" for p in v if p.strip())
        return v


class Plan(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] = Field(
        description="lower-case letters, digits and hyphens (up to 63), never changed once in use",
        examples=["wunderroot-bcp"])
    title: Title
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
    remit: list[RemitEntry] = Field(min_length=1, max_length=100, examples=["Project management and delivery"])
    owners: list[Person] = Field(min_length=1, max_length=50)
    review: Review
    testing: Testing
    activation: Activation
    phases: list[Phase]
    reminders: Reminders = Reminders()
    roll_call: RollCall = RollCall()
    roles: list[Role] = Field(default_factory=list, max_length=100, description=(
        "roles steps name (owner_role), with their holder and alternates; an owner's or team member's `role:` "
        "makes them its holder without alternates"))
    handbook_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] | None = Field(
        default=None, description="the handbook's http(s):// address; relative links are joined to it",
        examples=["https://handbook.example.com/"])

    @field_validator("phases")
    @classmethod
    def _three_phases_in_order(cls, phases: list[Phase]) -> list[Phase]:
        keys = tuple(p.key for p in phases)
        if keys != PHASE_ORDER:
            raise ValueError(
                "must be exactly the three phases in order: " + ", ".join(PHASE_ORDER) + f" (got {', '.join(keys) or 'none'})"
            )
        return phases

    @property
    def contacts_link(self) -> str | None:
        """The contacts address to link to: absolute, or relative joined to handbook_url (None: show as text)."""
        url = self.activation.contacts_url
        if not url or url.startswith(("http://", "https://")):
            return url
        if self.handbook_url:
            from urllib.parse import urljoin

            return urljoin(self.handbook_url, url)
        return None

    def roll_call_people(self) -> list[Person]:
        """Everyone a roll call asks: owners, the team, role holders and alternates, then `roll_call.staff`
        (a person named twice once:
        the same Slack ID, or the same email)."""
        seen: set[str] = set()
        people: list[Person] = []
        everyone = [*self.owners, *self.activation.team,
                    *(p for r in self.roles for p in (r.holder, *r.alternates)), *self.roll_call.staff]
        for person in everyone:
            keys = identity(person)
            if keys & seen:
                continue
            seen |= keys
            people.append(person)
        return people

    def roll_call_by_default(self, circumstance: str) -> bool:
        """Whether the activation form's Run a roll call starts ticked for this circumstance."""
        return circumstance.lower() not in {c.lower() for c in self.roll_call.skip_for}

    @property
    def services(self) -> list[Objectives]:
        """The remit in recovery order (priority 1 first), each with its objectives."""
        return ranked(self.remit)

    @property
    def service_names(self) -> list[str]:
        return [s.name for s in self.services]

    def phase(self, key: PhaseKey | str) -> Phase:
        return next(p for p in self.phases if p.key == key)

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        data = self.model_dump(mode="json")
        if self.roll_call == RollCall():  # a plan without `roll_call:` keeps the hash it had before the field
            data.pop("roll_call")
        if not self.roles:  # nor does a plan without `roles:`
            data.pop("roles")
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_snapshot(cls, snapshot: str | dict) -> "Plan":
        return cls.model_validate(json.loads(snapshot) if isinstance(snapshot, str) else snapshot)


@dataclass(frozen=True)
class PlanProblem:
    file: str
    field: str  # in words, positions from 1: "phase 2, step 3: title"
    message: str
    line: int | None = None

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}" if self.line else self.file
        return f"{at}: {self.field}: {self.message}" if self.field else f"{at}: {self.message}"


class PlanError(Exception):
    def __init__(self, problems: list[PlanProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass
class PlanCheck:
    plans: list[Plan] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)
    warnings: list[PlanProblem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # plan ID -> the file it was read from


def plan_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def date_warnings(plan: Plan, today: date) -> list[tuple[tuple, str]]:
    """Dates that are allowed but almost certainly not meant (the first start would say "overdue")."""
    found: list[tuple[tuple, str]] = []
    if plan.review.next < today:
        found.append((("review", "next"), f"{plan.review.next} is in the past: owners are told the review is "
                      "overdue from the first start; set the next review date"))
    if plan.testing.next < today:
        found.append((("testing", "next"), f"{plan.testing.next} is in the past: owners are told the test is "
                      "overdue from the first start; set the next test date"))
    if plan.testing.next > plan.review.next:
        found.append((("testing", "next"), f"{plan.testing.next} is after the next review ({plan.review.next}): "
                      "plans are normally tested before they are reviewed"))
    return found


def cross_problems(plan: Plan) -> list[tuple[tuple, str]]:
    """Problems between fields (a valid field referring to something the plan does not have)."""
    found: list[tuple[tuple, str]] = []
    known = {c.lower() for c in plan.activation.circumstance_names}
    for i, name in enumerate(plan.roll_call.skip_for):
        if name.lower() not in known:
            found.append((("roll_call", "skip_for", i), f"{name!r} is not one of activation.circumstances; "
                          "name a circumstance exactly as it is listed there"))
    return found + remit_problems(plan.remit) + role_problems(plan)


def inspect_plans(path: Path, today: date | None = None) -> PlanCheck:
    """Load every plan file under `path`: the valid plans, every problem at once (with its line), and, given
    `today`, warnings about dates."""
    result = PlanCheck()
    files = plan_files(path)
    if not files:
        result.problems.append(PlanProblem(str(path), "", "no plan files (*.yaml) found"))
    seen: dict[str, str] = {}
    for file in files:
        name = str(file)
        try:
            text = file.read_text(encoding="utf-8")
            data, root = plan_messages.parse(text)
        except (OSError, UnicodeDecodeError) as err:
            result.problems.append(PlanProblem(name, "", f"cannot be read: {getattr(err, 'strerror', None) or err}"))
            continue
        except yaml.YAMLError as err:
            bad = plan_messages.yaml_problem(err)
            result.problems.append(PlanProblem(name, "", bad.message, bad.line))
            continue
        if not isinstance(data, dict):
            result.problems.append(PlanProblem(name, "", "must be a plan: lines of `field: value` starting with "
                                               "id, title, organisation, ... (see docs/plan-format.md)", 1))
            continue
        twice = plan_messages.duplicate_keys(root)
        result.problems += [PlanProblem(name, d.where, d.message, d.line) for d in twice]
        try:
            plan = Plan.model_validate(data)
        except ValidationError as err:
            result.problems += [PlanProblem(name, d.where, d.message, d.line)
                                for d in plan_messages.describe(err, Plan, root)]
            continue
        if twice:
            continue
        crossed = cross_problems(plan)
        if crossed:
            result.problems += [PlanProblem(name, plan_messages.where(loc), text, plan_messages.line_of(root, loc))
                                for loc, text in crossed]
            continue
        if plan.id in seen:
            result.problems.append(PlanProblem(name, "id", f"plan id {plan.id!r} is also used by {seen[plan.id]}",
                                               plan_messages.line_of(root, ("id",))))
            continue
        seen[plan.id] = result.files[plan.id] = name
        result.plans.append(plan)
        if today is not None:
            result.warnings += [PlanProblem(name, plan_messages.where(loc), text, plan_messages.line_of(root, loc))
                                for loc, text in date_warnings(plan, today)]
    return result


def check_plans(path: Path) -> tuple[list[Plan], list[PlanProblem]]:
    """Load every plan file under `path`; return the valid plans and every problem found."""
    found = inspect_plans(path)
    return found.plans, found.problems


def load_plans(path: Path) -> list[Plan]:
    plans, problems = check_plans(path)
    if problems:
        raise PlanError(problems)
    return plans
