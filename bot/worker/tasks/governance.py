"""Outbox tasks of plan governance: reminders updated in place once someone acted on them, the
record-test confirmation, and the post-incident review requests after a stand-down.

A reminder update is a chat.update of a message bcbot sent: the same content however often it runs.
A message Slack will not update (deleted, too old) is left as it is; Slack being away is retried.
"""
from __future__ import annotations

import logging
from datetime import date

from bot.domain.errors import SlackUnavailable
from bot.domain.plan import Plan
from bot.domain.reminders import Kind, PlanTestType
from bot.slack import plan_blocks as render
from bot.worker.outbox import TaskContext
from bot.worker.reminder_ledger import send_post_incident_reviews

log = logging.getLogger("bcbot.governance")


def _plan(ctx: TaskContext) -> Plan | None:
    plan = ctx.bot.plans.plans.get(str(ctx.subject_id))
    if plan is None:
        log.info("plan %s is no longer loaded: its reminder messages are left as they are", ctx.subject_id)
    return plan


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _outcome(args: dict) -> tuple[str, str]:
    """(what it was, the outcome line) of a review marked or a test recorded."""
    if args["outcome"] == "reviewed":
        next_review = _date(args["next_review"])
        assert next_review is not None
        return "marked reviewed", render.reviewed_outcome(args["by"], next_review)
    held_on = _date(args["held_on"])
    assert held_on is not None
    line = render.test_recorded_outcome(args["by"], PlanTestType(args["test_type"]), held_on, _date(args["next_test"]))
    if not args["moved"]:
        line += " (A later test is already on record, so the next test date stays as it was.)"
    return "test recorded", line


def _update(ctx: TaskContext, messages: list[tuple[str, str]], *, text: str, blocks: list[dict]) -> int:
    from bot.slack.api import surely_not_delivered

    updated = 0
    for channel, ts in dict.fromkeys(messages):
        try:
            ctx.bot.slack.update(channel, ts, text=text, blocks=blocks)
            updated += 1
        except SlackUnavailable as err:
            if not surely_not_delivered(err):
                raise  # Slack is away: the whole task is tried again (an update twice is the same update)
            log.info("reminder message %s/%s was not updated: %s", channel, ts, err)
    return updated


def reminders_done(ctx: TaskContext) -> dict:
    """Every reminder about this due date (and the message the button was in) now says what was done,
    without buttons."""
    plan = _plan(ctx)
    if plan is None:
        return {}
    args = ctx.args
    kind = Kind(args["kind"])
    with ctx.bot.uow(read_only=True) as uow:
        sent = uow.reminders.messages(plan.id, kind, date.fromisoformat(args["due_on"]))
    what, line = _outcome(args)
    clicked = [(m["channel"], m["ts"]) for m in args.get("messages", [])]
    updated = _update(ctx, [*clicked, *sent], text=render.reminder_outcome_text(plan, what),
                      blocks=render.reminder_done_blocks(plan, kind, line))
    return {"updated": updated}


def reminder_snoozed(ctx: TaskContext) -> dict:
    """The reminder whose Snooze was pressed says who snoozed it until when (Mark reviewed stays)."""
    plan = _plan(ctx)
    if plan is None:
        return {}
    args = ctx.args
    due_on, today, until = (date.fromisoformat(args[k]) for k in ("due_on", "today", "until"))
    blocks = render.reminder_snoozed_blocks(plan, Kind(args["kind"]), due_on, today=today, by=args["by"], until=until)
    message = args["message"]
    return {"updated": _update(ctx, [(message["channel"], message["ts"])],
                               text=render.reminder_outcome_text(plan, "reminder snoozed for a week"), blocks=blocks)}


def test_recorded_dm(ctx: TaskContext) -> dict:
    """The person who recorded a test is told what was recorded and when the next test is due (once:
    keyed, and looked for on a retry)."""
    plan = _plan(ctx)
    if plan is None:
        return {}
    what, line = _outcome(ctx.args)
    channel = ctx.bot.slack.open_dm(ctx.args["by"])
    ts = ctx.bot.slack.post_once(channel, f"{ctx.task.subject}:{ctx.task.name}", retry=ctx.retry,
                                 text=render.reminder_outcome_text(plan, what), blocks=render.reminder_done_blocks(plan, Kind.TEST, line))
    return {"channel": channel, "ts": ts}


def post_incident_reviews(ctx: TaskContext) -> dict:
    """Each owner of the incident's plan is asked for a post-incident review, once (the reminder ledger).
    The review date and the stand-down's day come with the task (bot.usecases.governance); a task owed
    without them reads them from the record."""
    args = ctx.args
    incident_id = int(ctx.subject_id)
    review_due, stood_down_on = _date(args.get("review_due")), _date(args.get("stood_down_on"))
    if "review_due" not in args or stood_down_on is None:
        tz = ctx.bot.settings.timezone
        with ctx.bot.uow(read_only=True) as uow:
            incident = uow.incidents.get(incident_id)
            gov = uow.governance.get(incident.plan_key)
        review_due = review_due if "review_due" in args else (gov.next_review if gov else None)
        stood_down_on = stood_down_on or (incident.stood_down_at or incident.activated_at).astimezone(tz).date()
    return send_post_incident_reviews(ctx.bot, incident_id, review_due=review_due, stood_down_on=stood_down_on,
                                      retry=ctx.retry)
