"""Who holds each role a plan's steps name, and who covers them (no Slack, no SQL).

A role's holder is given by `roles:`, or by an owner's or team member's `role:` (then without alternates);
`Incident lead` is built in and resolves to each incident's lead."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.domain.plan_people import INCIDENT_LEAD, Person, identity

if TYPE_CHECKING:
    from bot.domain.plan import Plan


@dataclass(frozen=True)
class PlanRole:
    name: str
    holder: Person
    alternates: tuple[Person, ...] = ()


class RoleState(StrEnum):
    HELD = "held"
    ASKING = "asking"  # an alternate is asked to cover
    UNCOVERED = "uncovered"  # nobody left to ask: the lead was told


@dataclass(frozen=True)
class IncidentRole:
    """A role in one incident: who holds it now, and the cover being sought."""

    id: int
    incident_id: int
    name: str
    plan_holder: str | None  # as the plan says; None: not in this workspace
    holder: str | None
    holder_since: datetime
    state: RoleState = RoleState.HELD
    asking: str | None = None
    asking_since: datetime | None = None
    asked: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        """Someone other than the plan's holder holds it now."""
        return self.holder is not None and self.holder != self.plan_holder


def role_key(name: str) -> str:
    """Role names are matched without regard to case or surrounding spaces."""
    return " ".join(name.split()).lower()


def is_incident_lead(name: str | None) -> bool:
    return bool(name) and role_key(name or "") == role_key(INCIDENT_LEAD)


def plan_roles(plan: Plan) -> dict[str, PlanRole]:
    """Every role of the plan by its key (see role_key), in the order first named; `roles:` wins over `role:`."""
    found: dict[str, PlanRole] = {}
    for role in plan.roles:
        found.setdefault(role_key(role.name), PlanRole(role.name, role.holder, tuple(role.alternates)))
    for person in [*plan.owners, *plan.activation.team]:
        if person.role and not is_incident_lead(person.role):
            found.setdefault(role_key(person.role), PlanRole(person.role, person))
    return found


def role_problems(plan: Plan) -> list[tuple[tuple, str]]:
    """Roles that contradict each other, and steps whose `owner_role` resolves to nobody: (location, message)."""
    problems: list[tuple[tuple, str]] = []
    declared: dict[str, int] = {}
    for i, role in enumerate(plan.roles):
        key = role_key(role.name)
        if key in declared:
            problems.append((("roles", i, "name"), f"{role.name!r} is listed twice under roles "
                             f"(also role {declared[key] + 1}): list each role once"))
        declared.setdefault(key, i)
    by_role: dict[str, tuple[Person, tuple]] = {}
    people = [("owners", i, p) for i, p in enumerate(plan.owners)]
    people += [("activation", "team", i, p) for i, p in enumerate(plan.activation.team)]  # type: ignore[misc]
    for *where, person in people:
        if not person.role or is_incident_lead(person.role):
            continue
        loc, key = (*where, "role"), role_key(person.role)
        if key in declared:
            role = plan.roles[declared[key]]
            if not identity(role.holder) & identity(person):
                problems.append((loc, f"{person.name} has role {person.role!r}, but roles says "
                                 f"{role.holder.name} holds it: name the same holder in both, or list "
                                 f"{person.name} as an alternate"))
            continue
        earlier = by_role.get(key)
        if earlier and not identity(earlier[0]) & identity(person):
            problems.append((loc, f"{person.role!r} is also the role of {earlier[0].name}: say under roles who "
                             "holds it and who covers"))
        by_role.setdefault(key, (person, loc))
    known = set(plan_roles(plan))
    for p, phase in enumerate(plan.phases):
        for s, step in enumerate(phase.steps):
            if step.owner_role and not is_incident_lead(step.owner_role) and role_key(step.owner_role) not in known:
                problems.append((("phases", p, "steps", s, "owner_role"), f"nobody holds {step.owner_role!r}: give "
                                 f"an owner or team member `role: {step.owner_role}`, or add it under roles "
                                 f"(or use {INCIDENT_LEAD!r})"))
    return problems
