"""A plan's remit entry: a service or function the plan covers, as a line of text, or written out with its
recovery priority and objectives (plain strings stay valid)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, field_validator

from bot.domain.durations import minutes, parse_duration, spoken

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]  # a select option


class Service(BaseModel):
    """A remit entry written out: its name, its recovery priority and its recovery objectives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    priority: int | None = Field(default=None, ge=1, le=99, description=(
        "recover first: 1 before 2; forms, the header and the report list services in this order (unranked last)"),
        examples=[1])
    rto: str | None = Field(default=None, description="recovery time objective: recover within (30m, 2h, 1d)",
                            examples=["1d"])
    mtpd: str | None = Field(default=None, description=(
        "maximum tolerable period of disruption: the business cannot survive longer than this"), examples=["5d"])

    @field_validator("rto", "mtpd")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v


def _kind(value: object) -> str:
    # One form or the other, so that a mistake is reported once, against the fields written.
    return "fields" if isinstance(value, (dict, Service)) else "text"


RemitEntry = Annotated[Annotated[Name, Tag("text")] | Annotated[Service, Tag("fields")], Discriminator(_kind)]


@dataclass(frozen=True)
class Objectives:
    """What an incident keeps of a service it affects: as the plan said at the time."""

    name: str
    priority: int | None = None
    rto_minutes: int | None = None
    mtpd_minutes: int | None = None


def objectives(entry: str | Service) -> Objectives:
    if isinstance(entry, str):
        return Objectives(entry)
    return Objectives(entry.name, entry.priority, minutes(entry.rto), minutes(entry.mtpd))


def rank(priority: int | None) -> tuple[bool, int]:
    """Recovery order: priority 1 first, unranked last."""
    return priority is None, priority or 0


def ranked(remit: list[str | Service]) -> list[Objectives]:
    """The remit in recovery order, otherwise as written."""
    return sorted((objectives(e) for e in remit), key=lambda o: rank(o.priority))


def remit_problems(remit: list[str | Service]) -> list[tuple[tuple, str]]:
    """An RTO longer than the MTPD (the business would be gone before the service is due back); a service
    listed twice."""
    problems: list[tuple[tuple, str]] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(remit):
        found = objectives(entry)
        if found.name.lower() in seen:
            problems.append((("remit", i), f"{found.name!r} is listed twice (also service {seen[found.name.lower()] + 1})"))
        seen.setdefault(found.name.lower(), i)
        if found.rto_minutes and found.mtpd_minutes and found.rto_minutes > found.mtpd_minutes:
            problems.append((("remit", i, "rto"), f"the RTO ({spoken(found.rto_minutes)}) is longer than the MTPD "
                             f"({spoken(found.mtpd_minutes)}): a service must be due back before the business "
                             "cannot survive without it"))
    return problems
