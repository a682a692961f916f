"""Plan governance use cases: Mark reviewed, Snooze, Record test, what a stand-down owes the plan,
and `bcbot plan status`.

Each runs inside the caller's unit of work (an intent's, see bot/worker/intents.py; or the stand-down's):
it checks, records, and owes Slack its messages as outbox tasks of the subject `plan:<plan ID>` (the
post-incident review requests: `incident:<ID>`), run by bot/worker/tasks/governance.py. It never
commits and never calls Slack's write methods. The reminders themselves are sent by the worker's
sweep (bot/worker/reminders.py), through their own once-only ledger.
"""
from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, datetime

from bot.domain.commands import MarkReviewed, RecordTest, SnoozeReminder
from bot.domain.errors import BcbotError, NotAllowed, NotFound
from bot.domain.outbox import Task, incident_subject, plan_subject
from bot.domain.parts import coverage
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.domain.reminders import (
    Governance,
    Kind,
    PlanTest,
    PlanTestType,
    local_today,
    next_review_after,
    next_test_after,
    snooze_until,
)
from bot.domain.text import capped
from bot.slack import plan_blocks as render
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.governance")


class AlreadyDone(BcbotError):
    """The button is about a reminder someone has already dealt with."""


def require_steward(bot: Parts, plan: Plan, user_id: str, doing: str) -> None:
    """Only the plan's owners and its activation team look after its reviews and tests."""
    if user_id not in bot.directory.user_ids([*plan.owners, *plan.activation.team]):
        # Told in mrkdwn: plan text is escaped.
        raise NotAllowed(f"Only the owners of {safe(plan.title, 150)} and its Business Continuity Team can {doing}. "
                         f"The owners are {safe(', '.join(o.name for o in plan.owners), 500)}.")


def governance_of(uow: UnitOfWork, plan: Plan) -> Governance:
    gov = uow.governance.get(plan.id)
    if gov is None:
        raise NotFound(f"bcbot has no record of {safe(plan.title, 150)} yet; try again in a minute.")
    return gov


def _task_name(what: str, actor: str, now: datetime, *parts: object) -> str:
    """Unique within the plan's subject: one change, by one person, at one moment."""
    return ":".join([what, *map(str, parts), actor, now.isoformat()])


# The buttons ---------------------------------------------------------------------------------
def mark_reviewed(bot: Parts, uow: UnitOfWork, command: MarkReviewed, *, actor: str) -> date:
    """Record who reviewed the plan and when, and move its next review on by the plan's interval. Every
    reminder about that review (and the message the button was in) is owed its "done" version."""
    reminder = command.ref
    plan = bot.plans.get(reminder.plan_id)
    require_steward(bot, plan, actor, "mark it reviewed")
    now = bot.clock()
    tz = bot.settings.timezone
    next_review = next_review_after(reminder.due_on, local_today(now, tz), plan.review.interval_months)
    if not uow.governance.mark_reviewed(plan.id, was_due=reminder.due_on, next_review=next_review, by=actor, at=now):
        gov = governance_of(uow, plan)
        last = (f" It was last marked reviewed by {user_mention(gov.last_review_by)} on "
                f"{render.day(gov.last_review_at.astimezone(tz).date())}."
                if gov.last_review_by and gov.last_review_at else "")
        raise AlreadyDone(f"This reminder is out of date: the next review of {safe(plan.title, 150)} is due "
                          f"{render.day(gov.next_review)}.{last}")
    log.info("plan %s marked reviewed by %s; next review %s", plan.id, actor, next_review)
    clicked = command.message
    uow.outbox.add(plan_subject(plan.id), [Task(
        "reminders_done", name=_task_name("reviewed", actor, now, reminder.due_on),
        args={"kind": str(Kind.REVIEW), "due_on": reminder.due_on.isoformat(), "outcome": "reviewed", "by": actor,
              "next_review": next_review.isoformat(), "messages": [asdict(clicked)] if clicked else []})], now)
    return next_review


def snooze(bot: Parts, uow: UnitOfWork, command: SnoozeReminder, *, actor: str) -> datetime:
    """Silence this reminder (for everyone it goes to) for a week; it comes back then. The message the
    button was in is owed its snoozed version."""
    reminder = command.ref
    plan = bot.plans.get(reminder.plan_id)
    require_steward(bot, plan, actor, "snooze its reminders")
    now = bot.clock()
    tz = bot.settings.timezone
    until = snooze_until(now, tz, bot.settings.bcbot_reminder_hour)
    if not uow.governance.snooze(plan.id, reminder.kind, due=reminder.due_on, until=until, now=now):
        gov = governance_of(uow, plan)
        what = "review" if reminder.kind == Kind.REVIEW else "test"
        raise AlreadyDone(f"This reminder is out of date: the next {what} of {safe(plan.title, 150)} is due "
                          f"{render.day(gov.next_date(reminder.kind))}.")
    log.info("plan %s %s reminders snoozed by %s until %s", plan.id, reminder.kind, actor, until)
    clicked = command.message
    if clicked:
        uow.outbox.add(plan_subject(plan.id), [Task(
            "reminder_snoozed", name=_task_name("snoozed", actor, now, reminder.kind, reminder.due_on),
            args={"kind": str(reminder.kind), "due_on": reminder.due_on.isoformat(), "by": actor,
                  "today": local_today(now, tz).isoformat(), "until": until.astimezone(tz).date().isoformat(),
                  "message": asdict(clicked)})], now)
    return until


def record_test(bot: Parts, uow: UnitOfWork, command: RecordTest, *, actor: str) -> date | None:
    """Record a test held outside Slack. The next test is due one review interval after it (unless a
    later test is on record). The test reminders say so, and the person is sent a confirmation."""
    test_form = command.form
    plan = bot.plans.get(test_form.plan_id)
    require_steward(bot, plan, actor, "record its tests")
    before = governance_of(uow, plan)
    now = bot.clock()
    test = PlanTest(plan_key=plan.id, test_type=test_form.test_type, held_on=test_form.held_on, recorded_by=actor,
                    notes=capped(test_form.notes, render.NOTES_MAX))
    uow.governance.record_test(test, next_test=next_test_after(test_form.held_on, plan.review.interval_months),
                               now=now)
    after = governance_of(uow, plan)
    log.info("plan %s: %s test held %s recorded by %s", plan.id, test_form.test_type, test_form.held_on, actor)
    moved = after.next_test != before.next_test
    outcome = {"outcome": "tested", "by": actor, "test_type": test_form.test_type.value,
               "held_on": test_form.held_on.isoformat(), "moved": moved,
               "next_test": after.next_test.isoformat() if after.next_test else None}
    tasks = [Task("test_recorded_dm", name=_task_name("test_recorded_dm", actor, now, test_form.held_on),
                  args=outcome)]
    if moved and before.next_test:
        tasks.append(Task("reminders_done", name=_task_name("tested", actor, now, test_form.held_on),
                          args={**outcome, "kind": str(Kind.TEST), "due_on": before.next_test.isoformat(),
                                "messages": []}))
    uow.outbox.add(plan_subject(plan.id), tasks, now)
    return after.next_test


# After a stand-down ----------------------------------------------------------------------------
def _clean_report(report: dict | None) -> dict:
    if not report:
        return {}
    return {key: capped(str(report.get(key) or ""), render.NOTES_MAX)
            for key, _ in render.EXERCISE_REPORT_PARTS}


def stand_down_follow_ups(bot: Parts, uow: UnitOfWork, *, incident: Incident, plan: Plan,
                          exercise_report: dict | None, now: datetime) -> None:
    """What a stand-down owes the plan, inside the stand-down's unit of work:

    - An exercise is recorded as a test of the plan, with its post-exercise report
      (`objectives_met`, `what_worked`, `gaps`, `actions`: free text), and sets the next test date.
    - For an exercise or a real incident, the plan's next review is brought forward to today (ISO
      22301: review after every activation), and each owner is owed a DM asking for a post-incident
      review, with the report attached (the outbox task `post_incident_reviews`, sent through the
      reminder ledger: once each). That DM also stands for today's review reminder.

    The plan as loaded now is used where there is one (its current owners and interval), else `plan`.
    """
    plan = bot.plans.plans.get(plan.id) or plan
    tz = bot.settings.timezone
    if incident.is_exercise:
        held_on = incident.activated_at.astimezone(tz).date()
        test = PlanTest(plan_key=plan.id, test_type=PlanTestType.EXERCISE, held_on=held_on,
                        recorded_by=incident.lead_user_id, notes=incident.summary, incident_id=incident.id,
                        report=_clean_report(exercise_report))
        if uow.governance.record_test(test, next_test=next_test_after(held_on, plan.review.interval_months), now=now):
            log.info("exercise %s recorded as a test of plan %s", incident.ref, plan.id)
    review_due = uow.governance.flag_review(plan.id, today=local_today(now, tz), incident_id=incident.id, now=now)
    stood_down_on = (incident.stood_down_at or now).astimezone(tz).date()
    uow.outbox.add(incident_subject(incident.id), [Task(
        "post_incident_reviews", name="post_incident_reviews",
        args={"review_due": review_due.isoformat() if review_due else None,
              "stood_down_on": stood_down_on.isoformat()})], now)


# `bcbot plan status` ---------------------------------------------------------------------------
def plan_status(uow_factory, plans: list[Plan], *, now: datetime, tz) -> list[render.PlanStatus]:
    """Every plan with its review and test record (from the database, else from its file), and who has
    acknowledged their part (for a plan whose part cards were sent)."""
    with uow_factory(read_only=True) as uow:
        stored = {g.plan_key: g for g in uow.governance.all()}
        names = uow.names.history({u for g in stored.values() for u in (g.last_review_by, g.last_test_by) if u})
        cards = uow.plan_parts.of_plans([p.id for p in plans])
        resolved = uow.slack_people.all() if cards else {}

    def user_id(person) -> str | None:  # by email: as the bot's users.list sweep resolved them
        return person.slack or resolved.get((person.email or "").lower(), (None, now))[0]

    today = local_today(now, tz)
    statuses = []
    for plan in plans:
        gov = stored.get(plan.id)
        recorded = gov is not None
        if gov is None:
            gov = Governance(plan_key=plan.id, next_review=plan.review.next, next_test=plan.testing.next)
        parts = coverage(plan, cards[plan.id], user_id) if plan.id in cards else None
        statuses.append(render.PlanStatus(plan=plan, gov=gov, recorded=recorded, today=today, names=names,
                                          parts=parts))
    return statuses
