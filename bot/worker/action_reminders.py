"""Action reminders: part of the reminder sweep (bot.worker.reminders), through the same once-only ledger.

For each open action the latest stage fallen due (bot.domain.actions: 3 days before, on the day, every 3
days overdue) goes to its owner, and the plan's owners are told once when it is a week late. Each DM is
claimed in `reminder_claims` before it is sent (key: the action's reference as `plan_key`, kind `action` or
`act_late`, the due date, the stage, the recipient), so no restart, crash or second replica sends it twice; a
send Slack certainly did not deliver is taken again by a later sweep, a few times. The action's row caches
the stage dealt with, so a settled action costs no claim lookups.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.bcbot import Bcbot
from bot.domain.actions import BEFORE_DAYS, LATE_KIND, LATE_NOTICE_DAYS, REMINDER_KIND, Action, reminder_stage
from bot.domain.reminders import ClaimStatus, ReminderKey, local_today, reminder_day
from bot.slack import action_blocks as render
from bot.worker.reminder_ledger import Delivery, SweepResult, deliver, recipients, retriable, take

log = logging.getLogger("bcbot.actions")


def sweep_actions(bot: Bcbot, result: SweepResult, *, now: datetime) -> None:
    """Send each open action's due reminder stage (and a week-late notice) not yet sent; retry failed sends."""
    tz, hour = bot.settings.timezone, bot.settings.bcbot_reminder_hour
    day = reminder_day(now, tz, hour)
    today = local_today(now, tz)
    with bot.uow(read_only=True) as uow:
        due = uow.actions.due_by(day + timedelta(days=BEFORE_DAYS))
    for action, reminded_for, reminded_stage, late_told_for in due:
        stage = reminder_stage(action.due_on, day)
        if stage is not None and not (reminded_for == action.due_on and reminded_stage is not None
                                      and stage <= reminded_stage):
            result.due += 1
            if _send(bot, action, ReminderKey(action.ref, REMINDER_KIND, action.due_on, stage, action.owner), result,
                     text=render.reminder_text(action, today),
                     blocks=render.reminder_blocks(action, plan_title=_title(bot, action), today=today)):
                with bot.uow() as uow:
                    uow.actions.reminded(action.id, action.due_on, stage)
                    uow.commit()
        if (day - action.due_on).days >= LATE_NOTICE_DAYS and late_told_for != action.due_on:
            _tell_plan_owners(bot, action, result, today=today)


def _title(bot: Bcbot, action: Action) -> str:
    plan = bot.plans.plans.get(action.plan_key)
    return plan.title if plan else action.plan_key


def _send(bot: Bcbot, action: Action, key: ReminderKey, result: SweepResult, *, text: str, blocks: list[dict]) -> bool:
    """Claim and send one DM; True once it needs no more work (sent, or never to be retried)."""
    with bot.uow(read_only=True) as uow:
        claim = uow.reminders.find(key)
    existing = (claim.id, claim.status, claim.attempts) if claim is not None else None
    if existing is not None and not retriable(existing):
        return claim is not None and claim.status != ClaimStatus.SENDING
    claim_id = take(bot, key, existing)
    if claim_id is None:
        return False  # another sweep has it just now
    delivery: Delivery = deliver(bot, claim_id, key, text=text, blocks_=blocks)
    if delivery.status is ClaimStatus.SENT:
        result.sent += 1
        result.sent_keys.append(key)
        return True
    result.failed += 1
    attempts = existing[2] + 1 if existing else 1
    return not retriable((claim_id, delivery.status, attempts))


def _tell_plan_owners(bot: Bcbot, action: Action, result: SweepResult, *, today: date) -> None:
    plan = bot.plans.plans.get(action.plan_key)
    if plan is None:
        return
    owners, unresolved = recipients(bot, plan, escalated=False)
    settled = unresolved is not None
    for user_id, _ in owners:
        key = ReminderKey(action.ref, LATE_KIND, action.due_on, LATE_NOTICE_DAYS, user_id)
        settled &= _send(bot, action, key, result, text=render.late_text(action, today),
                         blocks=render.late_blocks(action, plan_title=plan.title, today=today))
    if settled:
        with bot.uow() as uow:
            uow.actions.late_told(action.id, action.due_on)
            uow.commit()
