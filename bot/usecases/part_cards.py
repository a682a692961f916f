"""Know your part: a card to each person the plan names with their part in it (their roles, what they cover,
their steps per phase, who covers them) and Got it, which records that they acknowledged that exact part.

Cards are owed by `bcbot roles send` and, for a plan whose cards were sent before, again to each person whose
part a new plan version changes (bot.worker.plan_watch): their acknowledgement then no longer counts, everyone
else's stands. Each card is an outbox task of the plan's subject (`parts:<plan ID>`), named by the person and
the card's generation, so it is DM'd once across restarts and replicas (bot/worker/tasks/parts.py)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from bot.domain.commands import AcknowledgePart
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.outbox import Task
from bot.domain.parts import parts_of
from bot.domain.plan import Person, Plan
from bot.slack.mrkdwn import safe
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.parts")


def parts_subject(plan_key: str) -> str:
    return f"parts:{plan_key}"


@dataclass
class Owed:
    """What owing a plan's cards did: names of those owed a card, of those whose card shows their part already,
    and of those Slack has not resolved (named by an email not found yet)."""

    owed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_slack: list[str] = field(default_factory=list)


def owe_cards(uow: UnitOfWork, plan: Plan, *, version_id: int, user_id: Callable[[Person], str | None],
              now: datetime) -> Owed:
    """Owe a card to each person of the plan whose latest card is not of their part as it stands (none yet, or
    their part changed), in the caller's transaction."""
    done = Owed()
    seen: set[str] = set()
    tasks = []
    before = uow.plan_parts.of_plans([plan.id]).get(plan.id, {})
    for part in parts_of(plan):
        user = user_id(part.person)
        if user is None:
            done.not_in_slack.append(part.person.name)
            continue
        if user in seen:  # named by email and by ID in two places that resolve to one member: one card
            continue
        seen.add(user)
        known = before.get(user)
        # Read first: a plan file's every change must not write a row per person whose part it leaves alone.
        generation = None
        if known is None or known.part_hash != part.digest:
            generation = uow.plan_parts.owe(plan.id, user, name=part.person.name, part_hash=part.digest,
                                            plan_version_id=version_id, now=now)
        if generation is None:
            done.unchanged.append(part.person.name)
            continue
        tasks.append(Task("part_card", name=f"card:{user}:{generation}",
                          args={"plan": plan.id, "user": user, "generation": generation}))
        done.owed.append(part.person.name)
    uow.outbox.add(parts_subject(plan.id), tasks, now)
    return done


def resend_changed(uow: UnitOfWork, plan: Plan, *, version_id: int, user_id: Callable[[Person], str | None],
                   now: datetime, sent: set[str] | None = None) -> Owed | None:
    """A plan version being served: if the plan's cards were sent before, re-send the card of each person whose
    part it changes (and send one to anyone new). None for a plan whose cards were never sent."""
    if plan.id not in (sent if sent is not None else uow.plan_parts.plans_sent()):
        return None
    done = owe_cards(uow, plan, version_id=version_id, user_id=user_id, now=now)
    if done.owed:
        log.info("plan %s: version %s changes the part of %d people: their cards are sent again", plan.id,
                 version_id, len(done.owed))
    return done


def acknowledge(bot: Parts, uow: UnitOfWork, command: AcknowledgePart, *, actor: str) -> None:
    """Got it: the person acknowledges the part on their card, if it is still their part."""
    title = safe(bot.plans.title(command.plan_id), 150)
    record = uow.plan_parts.get(command.plan_id, actor)
    if record is None:
        raise NotFound(f"bcbot has no card of yours on record for {title}: this card may be from another bcbot.")
    if record.part_hash != command.part_hash:
        raise InvalidInput(f"Your part in {title} has changed since this card: a newer card was sent to you. "
                           "Read that one and press Got it there.")
    now = bot.clock()
    uow.plan_parts.acknowledge(command.plan_id, actor, command.part_hash, now)
    if command.response_url:
        uow.outbox.arm(parts_subject(command.plan_id), Task("part_acknowledged", name=f"acknowledged:{actor}", args={
            "plan": command.plan_id, "user": actor, "generation": record.generation,
            "response_url": command.response_url}), now)
