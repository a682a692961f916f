"""What people are called: learned from the plans (their names for the people they name by Slack ID)."""
from __future__ import annotations

from datetime import datetime

from bot.domain.plan import Plan
from bot.usecases.ports import UnitOfWork


def learn_plan_names(uow: UnitOfWork, plan: Plan, now: datetime) -> int:
    """Record the plan's name for each person it names by Slack ID (owners, the team, role holders and
    alternates, staff), from now on."""
    learned = 0
    for person in plan.roll_call_people():
        if person.slack:
            learned += uow.names.learn(person.slack, person.name, source="plan", now=now)
    return learned
