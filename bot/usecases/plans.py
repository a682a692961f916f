"""Plan governance use cases: review and test reminders, Mark reviewed, Record test, Snooze,
`bcbot plan status`, and what happens when an incident or exercise is stood down.

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
and the lock is released.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.errors import BcbotError, InvalidInput, NotAllowed, NotFound, SlackUnavailable
from bot.domain.plan import Plan
from bot.domain.reminders import (
    OUTSIDE_TEST_TYPES,
    ClaimStatus,
    DueReminder,
    Governance,
    Kind,
    PlanTest,
    PlanTestType,
    ReminderKey,
    Schedule,
    due_reminder,
    local_today,
    next_review_after,
    next_test_after,
    reminder_day,
    snooze_until,
    stages_through,
)
from bot.domain.text import clean
from bot.slack import blocks
from bot.slack import plan_blocks as render
from bot.slack.ids import INPUT_ACTION, Input
from bot.slack.mrkdwn import user_mention
from bot.usecases.ports import Bcbot

log = logging.getLogger("bcbot.governance")

SWEEP_EVERY_SECONDS = 300
MAX_SEND_ATTEMPTS = 3
# A sweep stops after this many failed sends in a row (Slack is down): the rest waits, unclaimed.
MAX_FAILURES_IN_A_ROW = 3

_sweep_locks: dict[int, threading.Lock] = {}
_sweep_locks_guard = threading.Lock()


class AlreadyDone(BcbotError):
    """The button is about a reminder someone has already dealt with."""


@dataclass
class SweepResult:
    due: int = 0  # reminder stages due (each to one or more people)
    sent: int = 0
    failed: int = 0
    skipped: bool = False  # another sweep (in this process, or another replica) was running
    sent_keys: list[ReminderKey] = field(default_factory=list)


@dataclass(frozen=True)
class ReminderRef:
    """What a reminder's button says: the plan, the kind, and the due date it was about."""

    plan_id: str
    kind: Kind
    due_on: date


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class RecordTestForm:
    plan_id: str
    test_type: PlanTestType
    held_on: date
    notes: str


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
def _process_lock(bot: Bcbot) -> threading.Lock:
    with _sweep_locks_guard:
        return _sweep_locks.setdefault(id(bot), threading.Lock())


def sweep(bot: Bcbot, *, advisory_lock: bool = True) -> SweepResult:
    """Send every reminder stage that is due and not yet claimed; retry failed sends.

    Runs from the scheduler every SWEEP_EVERY_SECONDS and once at start. One sweep at a time per
    process; on PostgreSQL (with `advisory_lock`) one at a time across replicas too.
    """
    lock = _process_lock(bot)
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
    schedules, horizon_days = _schedules(plans)
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
    _retry_post_incident(bot, result)
    if result.sent or result.failed:
        log.info("reminder sweep: %d due, %d sent, %d failed", result.due, result.sent, result.failed)
    return result


def _send_due(bot: Bcbot, due: list[tuple[Plan, DueReminder]], result: SweepResult, *, now: datetime) -> None:
    """Claim and send each due reminder stage to whoever has not had it; then record the stage as
    dealt with once no recipient's send is pending or may still be retried."""
    today = local_today(now, bot.settings.timezone)
    recipients = _Recipients(bot)
    # One read, whatever the number of reminders: the sends not finished (none after a mass send
    # that went well), not every claim. Plans sharing a stage and its recipients are asked together.
    stages: dict[tuple[Kind, date, int, tuple[str, ...]], list[str]] = {}
    for plan, reminder in due:
        stages.setdefault((reminder.kind, reminder.due_on, reminder.stage,
                           recipients(plan, reminder.escalated)[2]), []).append(plan.id)
    with bot.uow(read_only=True) as uow:
        unfinished = uow.reminders.unfinished([(*stage, plans) for stage, plans in stages.items()])
    govs: dict[str, Governance | None] = {}
    settled_stages: list[tuple[str, Kind, date, int]] = []
    try:
        _send_each(bot, due, recipients, unfinished, govs, settled_stages, result, today=today)
    finally:
        if settled_stages:  # a cache of what needs no more work: written in one go
            with bot.uow() as uow:
                uow.governance.reminded(settled_stages)
                uow.commit()


class _Recipients:
    """_recipients of each plan, worked out once per sweep (a plan's review and test go to the same
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
            recipients, unresolved = _recipients(self.bot, plan, escalated=escalated)
            same = (tuple(recipients), None if unresolved is None else tuple(unresolved))
            found = self._of[escalated][plan.id] = self._answers.setdefault(
                same, (recipients, unresolved, tuple(user_id for user_id, _ in recipients)))
        return found


def _send_each(bot: Bcbot, due, recipients_of: _Recipients, unfinished, govs, settled_stages, result: SweepResult, *,
               today: date) -> None:
    tz = bot.settings.timezone
    failures_in_a_row = 0
    for plan, reminder in due:
        recipients, unresolved, _ = recipients_of(plan, reminder.escalated)
        pending, settled = [], unresolved is not None
        open_ = unfinished.get((plan.id, reminder.kind, reminder.stage))
        if open_:
            for user_id, as_team in recipients:
                if user_id not in open_:
                    continue  # sent, covered, maybe sent, or out of attempts: dealt with
                claim = open_[user_id]
                if claim is None or _retriable(claim):
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
            claim_id = _take(bot, key, existing)
            if claim_id is None:
                settled = False  # another sweep took it just now
                continue
            text = render.reminder_text(plan, reminder, today=today)
            blocks_ = render.reminder_blocks(plan, reminder, today=today, as_team=as_team, gov=govs[plan.id], tz=tz)
            delivery = _deliver(bot, claim_id, key, text=text, blocks_=blocks_)
            if delivery.status is ClaimStatus.SENT:
                result.sent += 1
                result.sent_keys.append(key)
                failures_in_a_row = 0
            else:
                result.failed += 1
                failures_in_a_row += 1
                attempts = existing[2] + 1 if existing else 1
                if _retriable((claim_id, delivery.status, attempts)):
                    settled = False  # the next sweep tries again
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                log.warning("reminder sweep stopped after %d failed sends in a row; the rest waits for the next "
                            "sweep", failures_in_a_row)
                return
        if settled:
            settled_stages.append((plan.id, reminder.kind, reminder.due_on, reminder.stage))


def _retriable(claim: tuple) -> bool:
    """(claim ID, status, attempts): a failed send with attempts left."""
    _claim_id, status, attempts = claim
    return status == ClaimStatus.FAILED and attempts < MAX_SEND_ATTEMPTS


_schedule_cache: dict[int, tuple[dict, dict[str, Schedule], int]] = {}


def _schedules(plans: dict[str, Plan]) -> tuple[dict[str, Schedule], int]:
    """Each plan's reminder schedule and the longest lead time of any, worked out once per catalog."""
    cached = _schedule_cache.get(id(plans))
    if cached is None or cached[0] is not plans:
        schedules = {key: Schedule.of(plan.reminders) for key, plan in plans.items()}
        cached = _schedule_cache[id(plans)] = (plans, schedules,
                                               max((s.horizon_days for s in schedules.values()), default=0))
    return cached[1], cached[2]


def _recipients(bot: Bcbot, plan: Plan, *, escalated: bool) -> tuple[list[tuple[str, bool]], list[str] | None]:
    """(user ID, told as a team member) for the owners, and the team too once escalated; and the
    owners' emails Slack cannot find (None if Slack could not be asked)."""
    people = [(p, False) for p in plan.owners] + ([(p, True) for p in plan.activation.team] if escalated else [])
    recipients: list[tuple[str, bool]] = []
    unresolved: list[str] | None = []
    for person, as_team in people:
        try:
            user_id = bot.directory.user_id(person)
        except SlackUnavailable:
            if not as_team:
                unresolved = None
            continue
        if user_id is None:
            if not as_team and unresolved is not None:
                unresolved.append(person.email)
            continue
        if all(user_id != uid for uid, _ in recipients):
            recipients.append((user_id, as_team))
    return recipients, unresolved


def _take(bot: Bcbot, key: ReminderKey, existing: tuple | None) -> int | None:
    """Claim this reminder, in its own committed transaction; None if another sweep has it.
    `existing` is (claim ID, status, attempts) of a failed claim to take again, or None for a new one."""
    now = bot.clock()
    with bot.uow() as uow:
        if existing is None:
            claim_id = uow.reminders.claim(key, now)
        else:
            claim_id, _status, attempts = existing
            if not uow.reminders.reclaim(claim_id, attempts=attempts, now=now):
                claim_id = None
        uow.commit()
    return claim_id


@dataclass(frozen=True)
class Delivery:
    status: ClaimStatus  # SENT, FAILED (retriable) or UNKNOWN (never retried)
    channel: str | None = None
    ts: str | None = None


def _deliver(bot: Bcbot, claim_id: int, key: ReminderKey, *, text: str, blocks_: list[dict]) -> Delivery:
    """Send a claimed DM and record the outcome on its claim."""
    from bot.slack.api import surely_not_delivered

    channel = None
    try:
        channel = bot.slack.open_dm(key.recipient)
        ts = bot.slack.post(channel, text=text, blocks=blocks_, key=f"reminder:{claim_id}")
    except Exception as err:  # anything: the claim must say what became of it
        maybe = channel is not None and not (isinstance(err, SlackUnavailable) and surely_not_delivered(err))
        log.warning("reminder %s/%s for %s (claim %s) %s: %s", key.plan_key, key.kind, key.recipient, claim_id,
                    "may have been sent (not retried)" if maybe else "was not sent", err)
        with bot.uow() as uow:
            uow.reminders.failed(claim_id, error=str(err) or type(err).__name__, delivered_maybe=maybe)
            uow.commit()
        return Delivery(ClaimStatus.UNKNOWN if maybe else ClaimStatus.FAILED)
    with bot.uow() as uow:
        uow.reminders.sent(claim_id, now=bot.clock(), channel_id=channel, ts=ts)
        uow.commit()
    return Delivery(ClaimStatus.SENT, channel, ts)


# The buttons ---------------------------------------------------------------------------------
def reminder_ref(value: dict) -> ReminderRef:
    """Parse a reminder button's value ({"p": plan, "k": kind, "d": due date})."""
    try:
        plan_id, kind, due = value["p"], value["k"], value["d"]
        if not isinstance(plan_id, str) or not 0 < len(plan_id) <= 64 or kind not in (Kind.REVIEW, Kind.TEST):
            raise ValueError(plan_id)
        return ReminderRef(plan_id=plan_id, kind=Kind(kind), due_on=date.fromisoformat(due))
    except (KeyError, ValueError, TypeError):
        raise InvalidInput("This button's data is not valid; it may be from an old message.") from None


def plan_id_of(value: dict) -> str:
    """The plan of a "Start an exercise" button ({"p": plan})."""
    plan_id = value.get("p") if isinstance(value, dict) else None
    if not isinstance(plan_id, str) or not 0 < len(plan_id) <= 64:
        raise InvalidInput("This button's data is not valid; it may be from an old message.")
    return plan_id


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def message_ref(body: dict) -> MessageRef | None:
    """The message a button was pressed in (to update it), if Slack said."""
    body = _dict(body)
    container = _dict(body.get("container"))
    channel = container.get("channel_id") or _dict(body.get("channel")).get("id")
    ts = container.get("message_ts") or _dict(body.get("message")).get("ts")
    if isinstance(channel, str) and isinstance(ts, str) and 0 < len(channel) <= 32 and 0 < len(ts) <= 32:
        return MessageRef(channel, ts)
    return None


def view_ref(body: dict) -> tuple[str, str | None]:
    """(view ID, hash) of the modal a button was pressed in."""
    view = _dict(_dict(body).get("view"))
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not 0 < len(view_id) <= 64:
        raise InvalidInput("Slack did not say which form this was; please open it again.")
    return view_id, view_hash if isinstance(view_hash, str) and len(view_hash) <= 200 else None


def _require_steward(bot: Bcbot, plan: Plan, user_id: str, doing: str) -> None:
    """Only the plan's owners and its activation team look after its reviews and tests."""
    if user_id not in bot.directory.user_ids([*plan.owners, *plan.activation.team]):
        raise NotAllowed(f"Only the owners of {plan.title} and its Business Continuity Team can {doing}. "
                         f"The owners are {', '.join(o.name for o in plan.owners)}.")


def _governance(bot: Bcbot, plan: Plan) -> Governance:
    with bot.uow(read_only=True) as uow:
        gov = uow.governance.get(plan.id)
    if gov is None:
        raise NotFound(f"bcbot has no record of {plan.title} yet; try again in a minute.")
    return gov


def _update_messages(bot: Bcbot, messages: list[MessageRef | None], *, text: str, blocks_: list[dict]) -> None:
    for message in dict.fromkeys(m for m in messages if m):
        try:
            bot.slack.update(message.channel, message.ts, text=text, blocks=blocks_)
        except SlackUnavailable:
            pass


def _reminder_messages(bot: Bcbot, plan_id: str, kind: Kind, due_on: date) -> list[MessageRef]:
    with bot.uow(read_only=True) as uow:
        return [MessageRef(c, ts) for c, ts in uow.reminders.messages(plan_id, kind, due_on)]


def mark_reviewed(bot: Bcbot, *, ref: ReminderRef, user_id: str, message: MessageRef | None = None) -> date:
    """Record who reviewed the plan and when, and move its next review on by the plan's interval."""
    plan = bot.plans.get(ref.plan_id)
    _require_steward(bot, plan, user_id, "mark it reviewed")
    now = bot.clock()
    today = local_today(now, bot.settings.timezone)
    next_review = next_review_after(ref.due_on, today, plan.review.interval_months)
    with bot.uow() as uow:
        moved = uow.governance.mark_reviewed(plan.id, was_due=ref.due_on, next_review=next_review, by=user_id, at=now)
        uow.commit()
    if not moved:
        gov = _governance(bot, plan)
        last = (f" It was last marked reviewed by {user_mention(gov.last_review_by)} on "
                f"{render.day(gov.last_review_at.astimezone(bot.settings.timezone).date())}."
                if gov.last_review_by and gov.last_review_at else "")
        raise AlreadyDone(f"This reminder is out of date: the next review of {plan.title} is due "
                          f"{render.day(gov.next_review)}.{last}")
    log.info("plan %s marked reviewed by %s; next review %s", plan.id, user_id, next_review)
    outcome = render.reminder_done_blocks(plan, Kind.REVIEW, render.reviewed_outcome(user_id, next_review))
    _update_messages(bot, [message, *_reminder_messages(bot, plan.id, Kind.REVIEW, ref.due_on)],
                     text=f"{plan.title}: marked reviewed", blocks_=outcome)
    return next_review


def snooze(bot: Bcbot, *, ref: ReminderRef, user_id: str, message: MessageRef | None = None) -> datetime:
    """Silence this reminder (for everyone it goes to) for a week; it comes back then."""
    plan = bot.plans.get(ref.plan_id)
    _require_steward(bot, plan, user_id, "snooze its reminders")
    now = bot.clock()
    tz = bot.settings.timezone
    until = snooze_until(now, tz, bot.settings.bcbot_reminder_hour)
    with bot.uow() as uow:
        snoozed = uow.governance.snooze(plan.id, ref.kind, due=ref.due_on, until=until, now=now)
        uow.commit()
    if not snoozed:
        gov = _governance(bot, plan)
        what = "review" if ref.kind == Kind.REVIEW else "test"
        raise AlreadyDone(f"This reminder is out of date: the next {what} of {plan.title} is due "
                          f"{render.day(gov.next_date(ref.kind))}.")
    log.info("plan %s %s reminders snoozed by %s until %s", plan.id, ref.kind, user_id, until)
    _update_messages(bot, [message], text=f"{plan.title}: reminder snoozed for a week",
                     blocks_=render.reminder_snoozed_blocks(plan, ref.kind, ref.due_on, today=local_today(now, tz),
                                                            by=user_id, until=until.astimezone(tz).date()))
    return until


def open_record_test(bot: Bcbot, *, plan_id: str, user_id: str, trigger_id: str) -> None:
    """The "Record test" button: a modal to start an exercise or record a test held outside Slack."""
    plan = bot.plans.get(plan_id)
    _require_steward(bot, plan, user_id, "record its tests")
    gov = _governance(bot, plan)
    view = render.record_test_modal(plan, today=local_today(bot.clock(), bot.settings.timezone),
                                    next_test=gov.next_test)
    try:
        bot.slack.open_view(trigger_id=trigger_id, view=view)
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable("Slack took too long to open the form. Please press Record test again.") from err
        raise


def start_exercise(bot: Bcbot, *, plan_id: str, user_id: str, view_id: str, view_hash: str | None) -> None:
    """"Start an exercise" in the record-test modal: it becomes the activation form in exercise mode
    (views.update needs no trigger_id). Submitting it runs the normal activation flow."""
    plan = bot.plans.get(plan_id)
    view = blocks.activation_modal(plans=bot.plans.all(), plan=plan, user_id=user_id, exercise=True)
    bot.slack.update_view(view_id=view_id, view=view, hash=view_hash)


def record_test_form(view: dict, *, today: date) -> RecordTestForm:
    """The record-test modal's state, validated; InvalidInput with field errors otherwise."""
    view = _dict(view)
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        meta = {}
    plan_id = _dict(meta).get("plan")
    values = _dict(_dict(view.get("state")).get("values"))

    def element(block: str) -> dict:
        return _dict(_dict(values.get(block)).get(INPUT_ACTION))

    def text(value) -> str:
        return value if isinstance(value, str) else ""

    errors: dict[str, str] = {}
    raw_type = _dict(element(Input.TEST_TYPE).get("selected_option")).get("value")
    test_type = next((t for t in OUTSIDE_TEST_TYPES if t.value == raw_type), None)
    if test_type is None:
        errors[Input.TEST_TYPE] = "Choose what kind of test it was."
    held_on = None
    try:
        held_on = date.fromisoformat(text(element(Input.TEST_DATE).get("selected_date"))[:10])
    except ValueError:
        errors[Input.TEST_DATE] = "Choose the day the test was held."
    if held_on and held_on > today:
        errors[Input.TEST_DATE] = "A test is recorded once it has been held: choose today or a past day."
    notes = clean(text(element(Input.TEST_NOTES).get("value"))).strip()
    if len(notes) > render.NOTES_MAX:
        errors[Input.TEST_NOTES] = "Keep the notes under 3,000 characters."
    if not isinstance(plan_id, str) or not 0 < len(plan_id) <= 64:
        message = "This form is missing its plan; open it again from the reminder."
        raise InvalidInput(message, {Input.TEST_TYPE: message})
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", errors)
    return RecordTestForm(plan_id=plan_id, test_type=test_type, held_on=held_on, notes=notes)


def record_test(bot: Bcbot, *, form: RecordTestForm, user_id: str) -> date:
    """Record a test held outside Slack. The next test is due one review interval after it."""
    plan = bot.plans.get(form.plan_id)
    _require_steward(bot, plan, user_id, "record its tests")
    before = _governance(bot, plan)
    now = bot.clock()
    next_test = next_test_after(form.held_on, plan.review.interval_months)
    test = PlanTest(plan_key=plan.id, test_type=form.test_type, held_on=form.held_on, recorded_by=user_id,
                    notes=form.notes)
    with bot.uow() as uow:
        uow.governance.record_test(test, next_test=next_test, now=now)
        after = uow.governance.get(plan.id)
        uow.commit()
    log.info("plan %s: %s test held %s recorded by %s", plan.id, form.test_type, form.held_on, user_id)
    moved = after.next_test != before.next_test
    outcome = render.test_recorded_outcome(user_id, form.test_type, form.held_on, after.next_test)
    if not moved:
        outcome += " (A later test is already on record, so the next test date stays as it was.)"
    if moved:
        _update_messages(bot, _reminder_messages(bot, plan.id, Kind.TEST, before.next_test),
                         text=f"{plan.title}: test recorded",
                         blocks_=render.reminder_done_blocks(plan, Kind.TEST, outcome))
    try:
        bot.slack.dm(user_id, text=f"{plan.title}: test recorded",
                     blocks=render.reminder_done_blocks(plan, Kind.TEST, outcome))
    except SlackUnavailable:
        log.warning("test of plan %s recorded, but the confirmation DM to %s failed", plan.id, user_id)
    return after.next_test


# After a stand-down ----------------------------------------------------------------------------
def _clean_report(report: dict | None) -> dict:
    if not report:
        return {}
    return {key: clean(str(report.get(key) or "")).strip()[:render.NOTES_MAX]
            for key, _ in render.EXERCISE_REPORT_PARTS}


def on_incident_stood_down(bot: Bcbot, *, incident_id: int, exercise_report: dict | None) -> None:
    """Call after an incident's stand-down has committed (it makes Slack calls: run it in the
    background, or as an outbox task). Safe to call again: it does nothing twice.

    - An exercise is recorded as a test of the plan, with its post-exercise report
      (`objectives_met`, `what_worked`, `gaps`, `actions`: free text), and sets the next test date.
    - For an exercise or a real incident, the plan's next review is brought forward to today (ISO
      22301: review after every activation), and each owner gets a DM asking for a post-incident
      review, with the report attached. That DM also stands for today's review reminder.
    """
    from bot.usecases.activation import plan_of

    now = bot.clock()
    tz = bot.settings.timezone
    today = local_today(now, tz)
    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(incident_id)
        plan = bot.plans.plans.get(incident.plan_key) or plan_of(bot, uow, incident.plan_version_id)
    report = _clean_report(exercise_report) if incident.is_exercise else {}
    held_on = incident.activated_at.astimezone(tz).date()
    with bot.uow() as uow:
        if incident.is_exercise:
            recorded = uow.governance.record_test(
                PlanTest(plan_key=plan.id, test_type=PlanTestType.EXERCISE, held_on=held_on,
                         recorded_by=incident.lead_user_id, notes=incident.summary, incident_id=incident.id,
                         report=report),
                next_test=next_test_after(held_on, plan.review.interval_months), now=now)
            if recorded:
                log.info("exercise %s recorded as a test of plan %s", incident.ref, plan.id)
        review_due = uow.governance.flag_review(plan.id, today=today, incident_id=incident.id, now=now)
        uow.commit()
    recipients, _ = _recipients(bot, plan, escalated=False)
    stood_down_on = (incident.stood_down_at or now).astimezone(tz).date()
    file_content = None
    for user_id, _as_team in recipients:
        key = ReminderKey(plan.id, Kind.POST_INCIDENT, stood_down_on, incident.id, user_id)
        covered = _review_stages_covered(bot, plan, review_due, user_id, now)
        with bot.uow() as uow:
            claim_id = uow.reminders.claim(key, now)
            if claim_id is not None:
                uow.reminders.cover(covered, now)
            uow.commit()
        if claim_id is None:
            continue  # already asked
        if file_content is None:
            file_content = _report_file(bot, incident.ref, report)
        _send_post_incident(bot, claim_id, key, plan=plan, incident=incident, review_due=review_due, report=report,
                            file_content=file_content)


def _review_stages_covered(bot: Bcbot, plan: Plan, review_due: date | None, user_id: str,
                           now: datetime) -> list[ReminderKey]:
    """The review reminders the post-incident DM stands for: every stage that could be the latest
    at any time today, so the owner is not also sent "review due today" a moment later."""
    if review_due is None:
        return []
    tz, hour = bot.settings.timezone, bot.settings.bcbot_reminder_hour
    schedule = Schedule.of(plan.reminders)
    stages = set()
    for day in {reminder_day(now, tz, hour), local_today(now, tz)}:
        stages.update(stages_through(review_due, day, schedule))
    return [ReminderKey(plan.id, Kind.REVIEW, review_due, stage, user_id) for stage in sorted(stages)]


def _report_file(bot: Bcbot, ref: str, report: dict) -> str | None:
    from bot.domain.report import build_report, render_markdown

    try:
        markdown = render_markdown(build_report(bot.uow, ref, tz=bot.settings.timezone))
    except Exception:
        log.exception("could not build the report of %s for the post-incident review request", ref)
        return None
    return render.report_file(markdown, report)


def _send_post_incident(bot: Bcbot, claim_id: int, key: ReminderKey, *, plan: Plan, incident, review_due: date | None,
                        report: dict, file_content: str | None) -> bool:
    today = local_today(bot.clock(), bot.settings.timezone)
    text = render.post_incident_text(plan, incident.ref, exercise=incident.is_exercise)
    blocks_ = render.post_incident_blocks(plan, ref=incident.ref, exercise=incident.is_exercise, review_due=review_due,
                                          today=today, report=report or None, attached=file_content is not None)
    delivery = _deliver(bot, claim_id, key, text=text, blocks_=blocks_)
    if delivery.status is not ClaimStatus.SENT:
        return False
    if file_content is not None:
        what = "exercise" if incident.is_exercise else "incident"
        try:
            bot.slack.upload_file(channel=delivery.channel, filename=f"{incident.ref}-report.md", content=file_content,
                                  title=f"{incident.ref} {what} report")
        except SlackUnavailable as err:
            log.warning("could not attach the report of %s for %s: %s", incident.ref, key.recipient, err)
    return True


def _retry_post_incident(bot: Bcbot, result: SweepResult) -> None:
    """Post-incident review requests whose send failed get the same retry rule as reminders."""
    from bot.usecases.activation import plan_of

    with bot.uow(read_only=True) as uow:
        failed = uow.reminders.retryable(Kind.POST_INCIDENT.value, MAX_SEND_ATTEMPTS)
    for claim in failed:
        claim_id = _take(bot, claim.key, (claim.id, claim.status, claim.attempts))
        if claim_id is None:
            continue
        with bot.uow(read_only=True) as uow:
            incident = uow.incidents.get(claim.key.stage)
            plan = bot.plans.plans.get(incident.plan_key) or plan_of(bot, uow, incident.plan_version_id)
            gov = uow.governance.get(plan.id)
            tests = {t.incident_id: t for t in uow.governance.tests(plan.id)} if incident.is_exercise else {}
        report = tests[incident.id].report if incident.id in tests else {}
        if _send_post_incident(bot, claim_id, claim.key, plan=plan, incident=incident,
                               review_due=gov.next_review if gov else None, report=report,
                               file_content=_report_file(bot, incident.ref, report)):
            result.sent += 1
            result.sent_keys.append(claim.key)
        else:
            result.failed += 1


# `bcbot plan status` ---------------------------------------------------------------------------
def plan_status(uow_factory, plans: list[Plan], *, now: datetime, tz) -> list[render.PlanStatus]:
    """Every plan with its review and test record (from the database, else from its file)."""
    with uow_factory(read_only=True) as uow:
        stored = {g.plan_key: g for g in uow.governance.all()}
    today = local_today(now, tz)
    statuses = []
    for plan in plans:
        gov = stored.get(plan.id)
        recorded = gov is not None
        if gov is None:
            gov = Governance(plan_key=plan.id, next_review=plan.review.next, next_test=plan.testing.next)
        statuses.append(render.PlanStatus(plan=plan, gov=gov, recorded=recorded, today=today))
    return statuses
