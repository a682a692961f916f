"""The plan's people: who is named (owners, team, staff), the roles steps are given to with their alternates,
and the roll call's settings. Part of the plan file (bot.domain.plan), validated by pydantic."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.domain.durations import span

SLACK_USER_ID = r"^[UW][A-Z0-9]{2,}$"
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# A role every incident has: whoever the activation form names as its lead.
INCIDENT_LEAD = "Incident lead"


def parse_wait(text: str) -> timedelta:
    """A roll call's wait: '15m', '1h', '90s' (seconds, for a quick drill or a test), '1h30m'."""
    delta = span(text, "hms")
    if delta is None:
        raise ValueError(f"{text!r} is not a wait like 15m, 1h, 90s or 1h30m")
    if delta <= timedelta(0) or delta > timedelta(hours=24):
        raise ValueError("must be more than zero and at most 24h")
    return delta


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    slack: Annotated[str, StringConstraints(pattern=SLACK_USER_ID)] | None = Field(
        default=None, description="a Slack member ID (profile > ⋮ > Copy member ID): U or W, then capitals and digits",
        examples=["U0123ABCD"])
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        default=None, description="the email address of their Slack account", examples=["steve@example.com"])

    @model_validator(mode="after")
    def _reachable(self) -> "Person":
        if not self.slack and not self.email:
            raise ValueError("needs a `slack` user ID (e.g. U0123ABCD) or an `email` to look up")
        return self


class RollCall(Strict):
    """Who is asked if they are safe when the plan is activated, and how non-responders are chased."""

    staff: list[Person] = Field(default_factory=list, max_length=2000,
                                description="people to check on besides the owners and the team")
    remind_after: str = Field(default="15m", description="a non-responder is reminded once after this wait",
                              examples=["15m"])
    escalate_after: str = Field(default="30m", description="after this wait the lead gets the list of non-responders",
                                examples=["30m"])
    skip_for: list[OptionText] = Field(default_factory=list, max_length=99, description=(
        "circumstances whose activation form starts with Run a roll call unticked"),
        examples=["Loss of a key supplier"])

    @field_validator("remind_after", "escalate_after")
    @classmethod
    def _wait(cls, v: str) -> str:
        parse_wait(v)
        return v

    @model_validator(mode="after")
    def _escalate_later(self) -> "RollCall":
        if parse_wait(self.escalate_after) <= parse_wait(self.remind_after):
            raise ValueError(f"escalate_after ({self.escalate_after}) must be longer than remind_after "
                             f"({self.remind_after}): the reminder goes first")
        return self

    @property
    def remind_wait(self) -> timedelta:
        return parse_wait(self.remind_after)

    @property
    def escalate_wait(self) -> timedelta:
        return parse_wait(self.escalate_after)


class Role(Strict):
    """A role steps are given to (`owner_role`): its holder and, in order, who covers when the holder cannot."""

    name: RoleName
    holder: Person
    alternates: list[Person] = Field(default_factory=list, max_length=20, description="who covers, in order")

    @field_validator("name")
    @classmethod
    def _not_built_in(cls, v: str) -> str:
        if v.lower() == INCIDENT_LEAD.lower():
            raise ValueError(f"{INCIDENT_LEAD!r} is built in: it is always the incident's lead")
        return v

    @model_validator(mode="after")
    def _alternates_differ(self) -> "Role":
        seen = identity(self.holder)
        for person in self.alternates:
            if identity(person) & seen:
                raise ValueError(f"{person.name} is named twice (as holder or alternate): each person once")
            seen |= identity(person)
        return self


def identity(person: Person) -> set[str]:
    """What makes two mentions of a person the same person: their Slack ID, or their email."""
    return {k for k in (person.slack, (person.email or "").lower() or None) if k}
