"""The review and test reminder sweep: worker code, run at start and every SWEEP_EVERY_SECONDS.

Delivery guarantee of reminders (see docs/reminders.md)
-------------------------------------------------------
**At most once per (plan, kind, due date, stage, recipient), with a bounded retry of failures that
certainly did not reach Slack.**

1. The sweep works out, from the database, which stage of each reminder is due (the latest only).
2. For each recipient it *claims* the reminder: an INSERT into `reminder_claims`, whose UNIQUE key is
   (plan, kind, due date, stage, recipient), committed in its own transaction *before* Slack is
   called. An insert that hits the unique key means someone (another sweep, another process, an
   earlier run before a restart) has it: skip it. So nothing is ever sent twice.
3. After the Slack call the claim is marked `sent`. If the call failed in a way that certainly did
   not deliver it (Slack answered with an error, HTTP 4xx/429, or the connection was refused) it
   is marked `failed`, and a later sweep takes it again with a compare-and-set on its attempt count
   (one winner), up to MAX_SEND_ATTEMPTS attempts in all, and only while that stage is still the
   reminder's latest. If the call may have gone through (a timeout, a dropped connection, a 5xx)
   it is marked `unknown` and never retried. A `sent` claim is never retried.
4. A process that dies between claiming and finishing leaves the claim `sending`: never retried,
   so that one stage may be lost, but never doubled; the reminder's next stage still goes out.

Several processes: the claim alone makes the sweep safe anywhere. On PostgreSQL the sweep also
takes a transaction-scoped advisory lock (`pg_try_advisory_xact_lock`) so that only one replica
does the work at a time; the others skip that round. If the lock holder dies, its transaction ends
and the lock is released. In one process, one sweep at a time: the bot's `reminder_sweeps` lock.

The claims themselves (take, deliver, the post-incident requests) are bot.worker.reminder_ledger.
"""
from __future__ import annotations

import functools
import logging
from datetime import date, datetime, timedelta

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable
from bot.domain.plan import Plan
from bot.domain.reminders import (
    ClaimStatus,
    DueReminder,
    Governance,
    Kind,
    Schedule,
    due_reminder,
    local_today,
    reminder_day,
)
from bot.slack import plan_blocks as render
from bot.worker.action_reminders import sweep_actions
from bot.worker.reminder_ledger import (
    MAX_SEND_ATTEMPTS,
    SweepResult,
    deliver,
    recipients,
    retriable,
    retry_post_incident,
    take,
)

__all__ = ["MAX_SEND_ATTEMPTS", "SWEEP_EVERY_SECONDS", "SweepResult", "check_owners", "on_start", "sweep",
           "sync_plans"]

log = logging.getLogger("bcbot.governance")

SWEEP_EVERY_SECONDS = 300
# A sweep stops after this many failed sends in a row (Slack is down): the rest waits, unclaimed.
MAX_FAILURES_IN_A_ROW = 3


# Start-up ------------------------------------------------------------------------------------
def on_start(bot: Bcbot) -> SweepResult:
    """At start: make the database follow the plan files, sweep at once (reminders that fell due
    while the bot was down go out now, each once), then check that Slack knows every owner."""
    sync_plans(bot)
    result = sweep(bot)
    check_owners(bot)
    return result


def sync_plans(bot: Bcbot) -> dict[str, list[str]]:
    file_dates = {p.id: (p.review.next, p.testing.next) for p in bot.plans.all()}
    with bot.uow() as uow:
        changes = uow.governance.sync(file_dates, bot.clock())
        uow.commit()
    for key in changes["review_reset"]:
        log.info("plan %s: review.next changed in the plan file; its review date and reminders are reset", key)
    for key in changes["test_reset"]:
        log.info("plan %s: testing.next changed in the plan file; its test date and reminders are reset", key)
    return changes


def check_owners(bot: Bcbot) -> dict[str, list[str]]:
    """Look every owner up in Slack (emails once each) and store, per plan, those it cannot find.
    Each newly unresolved owner is logged once; `bcbot plan status` shows them."""
    found: dict[str, list[str]] = {}
    for plan in bot.plans.all():
        unresolved = _unresolved_owners(bot, plan)
        if unresolved is not None:
            found[plan.id] = unresolved
    with bot.uow(read_only=True) as uow:
        known = {g.plan_key: g.unresolved_owners for g in uow.governance.all()}
    _store_unresolved(bot, {k: v for k, v in found.items() if k in known}, known)
    return found


def _unresolved_owners(bot: Bcbot, plan: Plan) -> list[str] | None:
    unresolved = []
    for owner in plan.owners:
        try:
            if bot.directory.user_id(owner) is None:
                assert owner.email
                unresolved.append(owner.email)
        except SlackUnavailable:
            return None  # Slack is down: we don't know, keep what is stored
    return unresolved


def _store_unresolved(bot: Bcbot, found: dict[str, list[str]], known: dict[str, tuple[str, ...]] | None = None) -> None:
    if known is not None:
        found = {k: v for k, v in found.items() if tuple(sorted(set(v))) != tuple(known.get(k, ()))}
    if not found:
        return
    with bot.uow() as uow:
        newly = {key: uow.governance.set_unresolved(key, emails, bot.clock()) for key, emails in found.items()}
        uow.commit()
    for key, emails in newly.items():
        for email in emails:  # the warning itself comes once per process from the Directory
            log.info("plan %s: owner %s gets no reminders until Slack can find them (the other owners still do); "
                     "`bcbot plan status` lists them", key, email)


# The sweep -----------------------------------------------------------------------------------
def sweep(bot: Bcbot, *, advisory_lock: bool = True) -> SweepResult:
    """Send every reminder stage that is due and not yet claimed; retry failed sends.

    Runs from the scheduler every SWEEP_EVERY_SECONDS and once at start. One sweep at a time per
    process; on PostgreSQL (with `advisory_lock`) one at a time across replicas too.
    """
    lock = bot.reminder_sweeps.lock
    if not lock.acquire(blocking=False):
        return SweepResult(skipped=True)
    try:
        if not advisory_lock:
            return _sweep(bot)
        with bot.uow() as guard:  # its transaction holds the advisory lock until the sweep ends
            if not guard.governance.try_sweep_lock():
                log.debug("another replica is sweeping reminders; skipping this round")
                return SweepResult(skipped=True)
            return _sweep(bot)
    finally:
        lock.release()


def _sweep(bot: Bcbot) -> SweepResult:
    now = bot.clock()
    tz, hour = bot.settings.timezone, bot.settings.bcbot_reminder_hour
    plans = bot.plans.plans
    schedules, horizon_days = _schedules(bot, plans)
    day = reminder_day(now, tz, hour)
    # Only a plan with a date on or before the horizon can have a reminder due: one indexed query.
    horizon = day + timedelta(days=horizon_days)
    with bot.uow(read_only=True) as uow:
        rows = uow.governance.due_by(horizon)

    # Which stage of which reminder is due: pure arithmetic, the same for plans sharing a date.
    stage_of = functools.lru_cache(maxsize=None)(
        lambda kind, due_on, snoozed, schedule: due_reminder(kind, due_on, now=now, tz=tz, hour=hour, day=day,
                                                             schedule=schedule, snoozed_until=snoozed))
    due: list[tuple[Plan, DueReminder]] = []
    due_count = 0
    for row in rows:
        if row.plan_key not in plans:
            continue  # the plan's file is gone
        for kind in (Kind.REVIEW, Kind.TEST):
            due_on, snoozed, reminded_for, reminded_stage = row.of(kind)
            reminder = stage_of(kind, due_on, snoozed, schedules[row.plan_key])
            if reminder is None:
                continue
            due_count += 1
            if reminded_for == due_on and reminded_stage is not None and reminder.stage <= reminded_stage:
                continue  # every recipient of this stage was dealt with by an earlier sweep
            due.append((plans[row.plan_key], reminder))

    result = SweepResult(due=due_count)
    if due:
        _send_due(bot, due, result, now=now)
    retry_post_incident(bot, result)
    sweep_actions(bot, result, now=now)
    if result.sent or result.failed:
        log.info("reminder sweep: %d due, %d sent, %d failed", result.due, result.sent, result.failed)
    return result


def _send_due(bot: Bcbot, due: list[tuple[Plan, DueReminder]], result: SweepResult, *, now: datetime) -> None:
    """Claim and send each due reminder stage to whoever has not had it; then record the stage as
    dealt with once no recipient's send is pending or may still be retried."""
    today = local_today(now, bot.settings.timezone)
    recipients_of = _Recipients(bot)
    # One read, whatever the number of reminders: the sends not finished (none after a mass send
    # that went well), not every claim. Plans sharing a stage and its recipients are asked together.
    stages: dict[tuple[Kind, date, int, tuple[str, ...]], list[str]] = {}
    for plan, reminder in due:
        stages.setdefault((reminder.kind, reminder.due_on, reminder.stage,
                           recipients_of(plan, reminder.escalated)[2]), []).append(plan.id)
    with bot.uow(read_only=True) as uow:
        unfinished = uow.reminders.unfinished([(str(kind), due_on, stage, list(people), plans)
                                               for (kind, due_on, stage, people), plans in stages.items()])
    govs: dict[str, Governance | None] = {}
    settled_stages: list[tuple[str, Kind, date, int]] = []
    try:
        _send_each(bot, due, recipients_of, unfinished, govs, settled_stages, result, today=today)
    finally:
        if settled_stages:  # a cache of what needs no more work: written in one go
            with bot.uow() as uow:
                uow.governance.reminded(settled_stages)
                uow.commit()


class _Recipients:
    """recipients of each plan, worked out once per sweep (a plan's review and test go to the same
    people): (recipients, owners Slack cannot find, recipients' user IDs). Plans with the same people
    share one answer, so 10,000 plans keep a few objects alive, not 10,000 (the garbage collector
    then has little reason to walk the whole heap mid-sweep)."""

    def __init__(self, bot: Bcbot):
        self.bot = bot
        self._of: tuple[dict, dict] = ({}, {})  # by `escalated`: plan ID -> answer
        self._answers: dict[tuple, tuple[list[tuple[str, bool]], list[str] | None, tuple[str, ...]]] = {}

    def __call__(self, plan: Plan, escalated: bool) -> tuple[list[tuple[str, bool]], list[str] | None, tuple[str, ...]]:
        found = self._of[escalated].get(plan.id)
        if found is None:
            people, unresolved = recipients(self.bot, plan, escalated=escalated)
            same = (tuple(people), None if unresolved is None else tuple(unresolved))
            found = self._of[escalated][plan.id] = self._answers.setdefault(
                same, (people, unresolved, tuple(user_id for user_id, _ in people)))
        return found


def _send_each(bot: Bcbot, due, recipients_of: _Recipients, unfinished, govs, settled_stages, result: SweepResult, *,
               today: date) -> None:
    tz = bot.settings.timezone
    failures_in_a_row = 0
    for plan, reminder in due:
        people, unresolved, _ = recipients_of(plan, reminder.escalated)
        pending, settled = [], unresolved is not None
        open_ = unfinished.get((plan.id, reminder.kind, reminder.stage))
        if open_:
            for user_id, as_team in people:
                if user_id not in open_:
                    continue  # sent, covered, maybe sent, or out of attempts: dealt with
                claim = open_[user_id]
                if claim is None or retriable(claim):
                    pending.append((user_id, as_team, claim))
                elif claim[1] == ClaimStatus.SENDING:
                    settled = False  # under way elsewhere: it may yet fail and need a retry
        if pending and plan.id not in govs:
            with bot.uow(read_only=True) as uow:
                govs[plan.id] = gov = uow.governance.get(plan.id)
            owners_unresolved = unresolved if not reminder.escalated else recipients_of(plan, False)[1]
            if gov is not None and owners_unresolved is not None:
                _store_unresolved(bot, {plan.id: owners_unresolved}, {plan.id: gov.unresolved_owners})
        for user_id, as_team, existing in pending:
            key = reminder.key(plan.id, user_id)
            claim_id = take(bot, key, existing)
            if claim_id is None:
                settled = False  # another sweep took it just now
                continue
            text = render.reminder_text(plan, reminder, today=today)
            blocks_ = render.reminder_blocks(plan, reminder, today=today, as_team=as_team, gov=govs[plan.id], tz=tz)
            delivery = deliver(bot, claim_id, key, text=text, blocks_=blocks_)
            if delivery.status is ClaimStatus.SENT:
                result.sent += 1
                result.sent_keys.append(key)
                failures_in_a_row = 0
            else:
                result.failed += 1
                failures_in_a_row += 1
                attempts = existing[2] + 1 if existing else 1
                if retriable((claim_id, delivery.status, attempts)):
                    settled = False  # the next sweep tries again
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                log.warning("reminder sweep stopped after %d failed sends in a row; the rest waits for the next "
                            "sweep", failures_in_a_row)
                return
        if settled:
            settled_stages.append((plan.id, reminder.kind, reminder.due_on, reminder.stage))


def _schedules(bot: Bcbot, plans: dict[str, Plan]) -> tuple[dict[str, Schedule], int]:
    """Each plan's reminder schedule and the longest lead time of any, worked out once per catalog
    (kept with the sweep lock, which the caller holds)."""
    cached = bot.reminder_sweeps.schedules
    if cached is None or cached[0] is not plans:
        schedules = {key: Schedule.of(plan.reminders) for key, plan in plans.items()}
        cached = bot.reminder_sweeps.schedules = (plans, schedules,
                                                  max((s.horizon_days for s in schedules.values()), default=0))
    return cached[1], cached[2]
