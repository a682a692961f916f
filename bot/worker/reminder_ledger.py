"""DMs sent through the reminder ledger (`reminder_claims`): claimed in their own committed
transaction before Slack is called, then marked with what became of them. The rules are those of
bot.worker.reminders (docs/reminders.md): never twice, and a send Slack certainly did not deliver is
retried a few times.

Two kinds of DM go this way: the review and test reminders of the sweep, and the post-incident review
requests owed after a stand-down (the outbox task `post_incident_reviews`, and the sweep's retry of
those whose send failed).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.domain.reminders import Claim, ClaimStatus, Kind, ReminderKey, Schedule, local_today, reminder_day, stages_through
from bot.slack import plan_blocks as render
from bot.usecases.access import plan_of

log = logging.getLogger("bcbot.governance")

MAX_SEND_ATTEMPTS = 3


@dataclass
class SweepResult:
    due: int = 0  # reminder stages due (each to one or more people)
    sent: int = 0
    failed: int = 0
    skipped: bool = False  # another sweep (in this process, or another replica) was running
    sent_keys: list[ReminderKey] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    status: ClaimStatus  # SENT, FAILED (retriable) or UNKNOWN (never retried)
    channel: str | None = None
    ts: str | None = None


def retriable(claim: tuple) -> bool:
    """(claim ID, status, attempts): a failed send with attempts left."""
    _claim_id, status, attempts = claim
    return status == ClaimStatus.FAILED and attempts < MAX_SEND_ATTEMPTS


def recipients(bot: Bcbot, plan: Plan, *, escalated: bool) -> tuple[list[tuple[str, bool]], list[str] | None]:
    """(user ID, told as a team member) for the owners, and the team too once escalated; and the
    owners' emails Slack cannot find (None if Slack could not be asked)."""
    people = [(p, False) for p in plan.owners] + ([(p, True) for p in plan.activation.team] if escalated else [])
    found: list[tuple[str, bool]] = []
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
                assert person.email
                unresolved.append(person.email)
            continue
        if all(user_id != uid for uid, _ in found):
            found.append((user_id, as_team))
    return found, unresolved


def take(bot: Bcbot, key: ReminderKey, existing: tuple | None) -> int | None:
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


def deliver(bot: Bcbot, claim_id: int, key: ReminderKey, *, text: str, blocks_: list[dict],
            look_first: bool = False) -> Delivery:
    """Send a claimed DM and record the outcome on its claim (`look_first`: unless an earlier attempt,
    cut off by a crash, already posted it: the DM carries its claim's key)."""
    from bot.slack.api import surely_not_delivered

    channel = None
    try:
        channel = bot.slack.open_dm(key.recipient)
        ts = (look_first and bot.slack.find_posted(channel, f"reminder:{claim_id}")) or \
            bot.slack.post(channel, text=text, blocks=blocks_, key=f"reminder:{claim_id}")
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


# Post-incident review requests ------------------------------------------------------------------
def _incident_and_plan(bot: Bcbot, incident_id: int) -> tuple[Incident, Plan, dict]:
    """The incident, its plan (as loaded now, else the version it ran under) and, for an exercise, the
    post-exercise report recorded with its test."""
    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(incident_id)
        plan = bot.plans.plans.get(incident.plan_key) or plan_of(bot, uow, incident.plan_version_id)
        tests = {t.incident_id: t for t in uow.governance.tests(plan.id)} if incident.is_exercise else {}
    return incident, plan, (tests[incident.id].report if incident.id in tests else {})


def send_post_incident_reviews(bot: Bcbot, incident_id: int, *, review_due: date | None, stood_down_on: date,
                               retry: bool = False) -> dict:
    """Ask each owner for a post-incident review, once (the outbox task `post_incident_reviews`). Each
    DM is claimed, with the review reminders it stands for, before it is sent: a retry of the task
    sends nothing twice, and a send Slack refused is retried by the sweep. A retry (`retry`: an earlier
    run was cut off) finishes the sends that run left `sending`, looking for each DM by its key first:
    the outbox's lease means that run is over, so the request is not lost with it."""
    now = bot.clock()
    incident, plan, report = _incident_and_plan(bot, incident_id)
    owners, _ = recipients(bot, plan, escalated=False)
    file_content: str | None = None
    sent = failed = 0
    for user_id, _as_team in owners:
        key = ReminderKey(plan.id, Kind.POST_INCIDENT, stood_down_on, incident.id, user_id)
        covered = _review_stages_covered(bot, plan, review_due, user_id, now)
        cut_off: Claim | None = None
        with bot.uow() as uow:
            claim_id = uow.reminders.claim(key, now)
            if claim_id is not None:
                uow.reminders.cover(covered, now)
            elif retry:
                cut_off = _cut_off(uow.reminders.find(key))
                claim_id = cut_off.id if cut_off else None
            uow.commit()
        if claim_id is None:
            continue  # already asked
        if file_content is None:
            file_content = _report_file(bot, incident.ref, report)
        if cut_off is not None and cut_off.status == ClaimStatus.SENT:
            # The DM went out; the run was cut off before (or while) attaching its report.
            _attach_report(bot, incident, key, bot.slack.open_dm(key.recipient), file_content, look_first=True)
            continue
        if _send_post_incident(bot, claim_id, key, plan=plan, incident=incident, review_due=review_due, report=report,
                               file_content=file_content, resumed=cut_off is not None):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}


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


def _cut_off(claim: Claim | None) -> Claim | None:
    """The claim an earlier run of the outbox task made and may not have finished: its first attempt,
    still `sending`, or `sent` with the report perhaps not attached (the sweep's retries of failed
    sends are later attempts, and never this task's)."""
    if claim is not None and claim.attempts == 1 and claim.status in (ClaimStatus.SENDING, ClaimStatus.SENT):
        return claim
    return None


def _send_post_incident(bot: Bcbot, claim_id: int, key: ReminderKey, *, plan: Plan, incident: Incident,
                        review_due: date | None, report: dict, file_content: str | None, resumed: bool = False) -> bool:
    today = local_today(bot.clock(), bot.settings.timezone)
    text = render.post_incident_text(plan, incident.ref, exercise=incident.is_exercise)
    blocks_ = render.post_incident_blocks(plan, ref=incident.ref, exercise=incident.is_exercise, review_due=review_due,
                                          today=today, report=report or None, attached=file_content is not None,
                                          incident_id=incident.id)
    delivery = deliver(bot, claim_id, key, text=text, blocks_=blocks_, look_first=resumed)
    if delivery.status is not ClaimStatus.SENT:
        return False
    if delivery.channel is not None:
        _attach_report(bot, incident, key, delivery.channel, file_content, look_first=resumed)
    return True


def _attach_report(bot: Bcbot, incident: Incident, key: ReminderKey, channel: str, file_content: str | None, *,
                   look_first: bool) -> None:
    """Best effort: the DM counts as sent without its report (it says how to get one)."""
    if file_content is None:
        return
    filename = f"{incident.ref}-report.md"
    what = "exercise" if incident.is_exercise else "incident"
    try:
        if not (look_first and bot.slack.find_file(channel, filename)):
            bot.slack.upload_file(channel=channel, filename=filename, content=file_content,
                                  title=f"{incident.ref} {what} report")
    except SlackUnavailable as err:
        log.warning("could not attach the report of %s for %s: %s", incident.ref, key.recipient, err)


def retry_post_incident(bot: Bcbot, result: SweepResult) -> None:
    """Post-incident review requests whose send failed get the same retry rule as reminders (the sweep)."""
    with bot.uow(read_only=True) as uow:
        failed = uow.reminders.retryable(Kind.POST_INCIDENT.value, MAX_SEND_ATTEMPTS)
    for claim in failed:
        claim_id = take(bot, claim.key, (claim.id, claim.status, claim.attempts))
        if claim_id is None:
            continue
        incident, plan, report = _incident_and_plan(bot, claim.key.stage)
        with bot.uow(read_only=True) as uow:
            gov = uow.governance.get(plan.id)
        if _send_post_incident(bot, claim_id, claim.key, plan=plan, incident=incident,
                               review_due=gov.next_review if gov else None, report=report,
                               file_content=_report_file(bot, incident.ref, report)):
            result.sent += 1
            result.sent_keys.append(claim.key)
        else:
            result.failed += 1
