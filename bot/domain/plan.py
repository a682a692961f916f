"""The business continuity plan: a YAML file validated by pydantic.

Limits here keep every accepted plan renderable within Slack's Block Kit limits
(option text 75 chars, 100 options per select, header text 150 chars).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator


class PhaseKey(StrEnum):
    INCIDENT_MANAGEMENT = "incident_management"
    BUSINESS_CONTINUITY = "business_continuity"
    RESUMPTION_RECOVERY = "resumption_recovery"


PHASE_ORDER = (PhaseKey.INCIDENT_MANAGEMENT, PhaseKey.BUSINESS_CONTINUITY, PhaseKey.RESUMPTION_RECOVERY)

SLACK_USER_ID = r"^[UW][A-Z0-9]{2,}$"
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def parse_duration(text: str) -> timedelta:
    """'30m', '2h', '1d', '1h30m' -> timedelta."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like 30m, 2h, 1d or 1h30m")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    delta = timedelta(days=days, hours=hours, minutes=minutes)
    if delta <= timedelta(0):
        raise ValueError("duration must be more than zero")
    return delta


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    slack: Annotated[str, StringConstraints(pattern=SLACK_USER_ID)] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None

    @model_validator(mode="after")
    def _reachable(self) -> "Person":
        if not self.slack and not self.email:
            raise ValueError("needs a `slack` user ID (e.g. U0123ABCD) or an `email` to look up")
        return self


class Review(_Strict):
    interval_months: int = Field(ge=1, le=60)
    next: date


class Testing(_Strict):
    next: date


class Reminders(_Strict):
    """When owners are reminded about review and test dates (days before the date)."""

    before_days: list[Annotated[int, Field(ge=1, le=365)]] = [30, 7]
    overdue_every_days: int = Field(default=7, ge=1, le=90)
    escalate_after_days: int = Field(default=14, ge=1, le=365)


class Activation(_Strict):
    circumstances: list[OptionText] = Field(min_length=1, max_length=99)
    team: list[Person] = Field(min_length=1, max_length=100)
    contacts_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] | None = None


class Step(_Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    owner_role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    due_within: str | None = None

    @field_validator("due_within")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v

    @property
    def due_within_minutes(self) -> int | None:
        return int(parse_duration(self.due_within).total_seconds() // 60) if self.due_within else None


class Phase(_Strict):
    key: PhaseKey
    title: Title
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    steps: list[Step] = Field(min_length=1, max_length=500)


class Plan(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    title: Title
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
    remit: list[OptionText] = Field(min_length=1, max_length=100)
    owners: list[Person] = Field(min_length=1, max_length=50)
    review: Review
    testing: Testing
    activation: Activation
    phases: list[Phase]
    reminders: Reminders = Reminders()

    @field_validator("phases")
    @classmethod
    def _three_phases_in_order(cls, phases: list[Phase]) -> list[Phase]:
        keys = tuple(p.key for p in phases)
        if keys != PHASE_ORDER:
            raise ValueError(
                "must be exactly the three phases in order: " + ", ".join(PHASE_ORDER) + f" (got {', '.join(keys) or 'none'})"
            )
        return phases

    @field_validator("activation")
    @classmethod
    def _unique_circumstances(cls, a: Activation) -> Activation:
        lowered = [c.lower() for c in a.circumstances]
        if len(set(lowered)) != len(lowered):
            raise ValueError("circumstances must be unique")
        if "other" in lowered:
            raise ValueError("'Other' is added by bcbot; leave it out of circumstances")
        return a

    def phase(self, key: PhaseKey | str) -> Phase:
        return next(p for p in self.phases if p.key == key)

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_snapshot(cls, snapshot: str | dict) -> "Plan":
        return cls.model_validate(json.loads(snapshot) if isinstance(snapshot, str) else snapshot)


@dataclass(frozen=True)
class PlanProblem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field or '(file)'}: {self.message}"


class PlanError(Exception):
    def __init__(self, problems: list[PlanProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def plan_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def check_plans(path: Path) -> tuple[list[Plan], list[PlanProblem]]:
    """Load every plan file under `path`; return the valid plans and every problem found."""
    plans: list[Plan] = []
    problems: list[PlanProblem] = []
    files = plan_files(path)
    if not files:
        problems.append(PlanProblem(str(path), "", "no plan files (*.yaml) found"))
    seen: dict[str, str] = {}
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            problems.append(PlanProblem(str(file), "", f"cannot read: {err}"))
            continue
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else ""
            problems.append(PlanProblem(str(file), where, f"not valid YAML: {getattr(err, 'problem', err)}"))
            continue
        if not isinstance(data, dict):
            problems.append(PlanProblem(str(file), "", "must be a YAML mapping with id, title, phases, ..."))
            continue
        try:
            plan = Plan.model_validate(data)
        except ValidationError as err:
            for e in err.errors():
                problems.append(PlanProblem(str(file), _field_path(e["loc"]), e["msg"].removeprefix("Value error, ")))
            continue
        if plan.id in seen:
            problems.append(PlanProblem(str(file), "id", f"plan id {plan.id!r} is also used by {seen[plan.id]}"))
            continue
        seen[plan.id] = str(file)
        plans.append(plan)
    return plans, problems


def load_plans(path: Path) -> list[Plan]:
    plans, problems = check_plans(path)
    if problems:
        raise PlanError(problems)
    return plans
