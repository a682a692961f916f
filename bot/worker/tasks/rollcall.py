"""Outbox tasks of a roll call (subject `rollcall:<id>`): each person's DM, the tally, "I need help" alerts,
the reminder and the escalation. Every post goes to a user ID or the channel, paced (a 429 reschedules the
task, no thread sleeps) and keyed (a retry after a lost answer looks in the DM channel Slack named before)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from bot.bcbot import Bcbot
from bot.domain.errors import Later, SlackRefused
from bot.domain.outbox import Task, refused_for_good
from bot.domain.plan import Plan
from bot.domain.rollcall import TALLY_EVERY, Answer, Asked, Delivery, RollCall, tally
from bot.slack import rollcall_blocks as rb
from bot.slack.blocks import contacts_mrkdwn, section
from bot.usecases import roles
from bot.usecases.access import plan_of
from bot.usecases.rollcall import TALLY, rollcall_subject
from bot.worker.outbox import TaskContext

log = logging.getLogger("bcbot.rollcall")
NO_CHANNEL_YET_S = 1.0


def _now() -> datetime:
    # The tally's pace follows real time, like the outbox's own pauses (a test's business clock may stand still).
    return datetime.now(timezone.utc)


def _load(bot: Bcbot, roll_call_id: int) -> tuple[RollCall, Plan, rb.About]:
    with bot.uow(read_only=True) as uow:
        roll_call = uow.rollcalls.get(roll_call_id)
        plan = plan_of(bot, uow, roll_call.plan_version_id)
        incident = uow.incidents.get(roll_call.incident_id) if roll_call.incident_id is not None else None
    # A confidential incident's roll-call messages name only its reference.
    about = rb.About(roll_call_id=roll_call.id, ref=incident.ref if incident else roll_call.ref, title=plan.title,
                     drill=roll_call.is_drill, confidential=bool(incident and incident.confidential),
                     channel_id=incident.channel_id if incident else None)
    return roll_call, plan, about


def known_dm(bot: Bcbot, user: str) -> str:
    """Where a post to this user's ID went before; conversations.open only if never posted to (a rare look)."""
    with bot.uow(read_only=True) as uow:
        known = uow.rollcalls.dm_channel_of(user)
    return known or bot.slack.paced_open_dm(user)


def send_dm(ctx: TaskContext) -> dict:
    roll_call_id, user = int(ctx.subject_id), ctx.args["user"]
    roll_call, _, about = _load(ctx.bot, roll_call_id)
    with ctx.bot.uow(read_only=True) as uow:
        person = uow.rollcalls.person(roll_call_id, user)
    if person is None or person.delivery is Delivery.SENT:
        return {"skipped": "sent before"}
    look_in = (person.dm_channel or known_dm(ctx.bot, user)) if ctx.retry else None
    try:
        channel, ts = ctx.bot.slack.paced_post(user, f"{about.ref}:rollcall:{user}", text=rb.ask_text(about),
                                               blocks=rb.ask_blocks(about), look_in=look_in)
    except SlackRefused as exc:
        if not refused_for_good(exc.code):
            raise
        with ctx.bot.uow() as uow:  # not reached: counted so in the tally and the lead's list
            uow.rollcalls.failed(roll_call_id, user, code=exc.code)
            uow.outbox.arm(rollcall_subject(roll_call_id), Task("rollcall_tally", name=TALLY), ctx.bot.clock())
            uow.commit()
        log.warning("roll call %s: the DM to %s was refused for good (%s)", roll_call_id, user, exc.code)
        return {"failed": exc.code}
    with ctx.bot.uow() as uow:
        uow.rollcalls.sent(roll_call_id, user, channel=channel, ts=ts, now=ctx.bot.clock())
        uow.commit()
    return {"channel": channel, "ts": ts}


def render_tally(ctx: TaskContext) -> dict:
    """The one roll-call message, from the latest state; edited at most once per TALLY_EVERY."""
    roll_call_id = int(ctx.subject_id)
    roll_call, plan, about = _load(ctx.bot, roll_call_id)
    now = _now()
    if roll_call.rendered_at is not None and now - roll_call.rendered_at < TALLY_EVERY:
        raise Later((roll_call.rendered_at + TALLY_EVERY - now).total_seconds(), "the tally was edited moments ago")
    if roll_call.incident_id is not None and about.channel_id is None:
        raise Later(NO_CHANNEL_YET_S, "the incident channel is not there yet")
    with ctx.bot.uow(read_only=True) as uow:
        people = uow.rollcalls.people(roll_call_id)
    t = tally(people)
    text = rb.tally_text(about, t)
    blocks = rb.tally_blocks(about, t, started_at=roll_call.started_at, contacts=contacts_mrkdwn(plan),
                             recorded=[p for p in people if p.recorded_by and p.answer is not None])
    if roll_call.tally_ts and roll_call.tally_channel:
        ctx.bot.slack.paced_update(roll_call.tally_channel, roll_call.tally_ts, text=text, blocks=blocks)
        channel, ts = roll_call.tally_channel, roll_call.tally_ts
    else:
        target = about.channel_id or roll_call.lead_user_id  # a drill's tally: its runner's DM
        look_in = (about.channel_id or known_dm(ctx.bot, roll_call.lead_user_id)) if ctx.retry else None
        channel, ts = ctx.bot.slack.paced_post(target, f"{about.ref}:rollcall", text=text, blocks=blocks,
                                               look_in=look_in)
    with ctx.bot.uow() as uow:
        uow.rollcalls.set_tally(roll_call_id, channel=channel, ts=ts)
        uow.rollcalls.rendered(roll_call_id, _now())
        uow.commit()
    return {"channel": channel, "ts": ts, "answered": t.answered, "of": t.total}


def show_answer(ctx: TaskContext) -> dict:
    """The person's DM, replaced in place through the click's response_url: their answer and the buttons."""
    url = ctx.args.get("response_url")
    if not isinstance(url, str) or not ctx.bot.slack.is_response_url(url):
        return {"skipped": "no response_url"}
    _, _, about = _load(ctx.bot, int(ctx.subject_id))
    given = Answer(ctx.args["answer"])
    from slack_sdk.webhook import WebhookClient

    response = WebhookClient(url).send(text=rb.ask_text(about), replace_original=True,
                                       blocks=rb.answered_blocks(about, given, datetime.fromisoformat(ctx.args["at"])))
    return {"status": response.status_code}


def alert_help(ctx: TaskContext) -> dict:
    roll_call_id = int(ctx.subject_id)
    roll_call, _, about = _load(ctx.bot, roll_call_id)
    with ctx.bot.uow(read_only=True) as uow:
        person = uow.rollcalls.person(roll_call_id, ctx.args["user"]) or Asked(ctx.args["user"], ctx.args["user"])
    text = rb.help_text(about, person, ctx.args.get("recorded_by"))
    to = ctx.args.get("to") or about.channel_id
    if to is None:  # a drill on its own has no channel: the DMs carry it
        return {"skipped": "no channel"}
    name = ctx.task.name
    look_in = (about.channel_id if to == about.channel_id else known_dm(ctx.bot, to)) if ctx.retry else None
    channel, ts = ctx.bot.slack.paced_post(to, f"{about.ref}:{name}", text=text, blocks=[section(text)],
                                           look_in=look_in)
    return {"channel": channel, "ts": ts}


def remind(ctx: TaskContext) -> dict:
    """Once, after remind_after: each person who has not answered (and was reached) is owed one reminder."""
    roll_call_id = int(ctx.subject_id)
    now = ctx.bot.clock()
    with ctx.bot.uow() as uow:
        if not _still_running(uow, roll_call_id):
            return {"skipped": "stood down"}
        waiting = [p for p in uow.rollcalls.people(roll_call_id) if p.answer is None and p.delivery is Delivery.SENT]
        if uow.rollcalls.mark(roll_call_id, "reminded_at", now):
            uow.outbox.add(rollcall_subject(roll_call_id), [
                Task("rollcall_remind_dm", name=f"remind:{p.user_id}", args={"user": p.user_id}) for p in waiting], now)
            uow.rollcalls.reminded(roll_call_id, [p.user_id for p in waiting], now)
        uow.commit()
    return {"reminded": len(waiting)}


def remind_dm(ctx: TaskContext) -> dict:
    roll_call_id, user = int(ctx.subject_id), ctx.args["user"]
    _, _, about = _load(ctx.bot, roll_call_id)
    with ctx.bot.uow(read_only=True) as uow:
        person = uow.rollcalls.person(roll_call_id, user)
    if person is None or person.answer is not None:
        return {"skipped": "answered meanwhile"}
    look_in = (person.dm_channel or known_dm(ctx.bot, user)) if ctx.retry else None
    channel, ts = ctx.bot.slack.paced_post(user, f"{about.ref}:rollcall:remind:{user}", text=rb.reminder_text(about),
                                           blocks=rb.reminder_blocks(about), look_in=look_in)
    return {"channel": channel, "ts": ts}


def escalate(ctx: TaskContext) -> dict:
    """Once, after escalate_after: the lead is owed the list of those not heard from, with the contacts link."""
    roll_call_id = int(ctx.subject_id)
    now = ctx.bot.clock()
    with ctx.bot.uow() as uow:
        if not _still_running(uow, roll_call_id):
            return {"skipped": "stood down"}
        waiting = [p.user_id for p in uow.rollcalls.people(roll_call_id) if p.answer is None]
        if waiting and uow.rollcalls.mark(roll_call_id, "escalated_at", now):
            uow.outbox.add(rollcall_subject(roll_call_id), [Task("rollcall_escalate_dm", name="escalate_dm")], now)
            incident_id = uow.rollcalls.get(roll_call_id).incident_id
            for user in waiting:  # a silent holder's roles are handed on
                if incident_id is not None:
                    roles.cannot_act(ctx.bot, uow, incident_id, user, "did not answer the roll call", actor=None,
                                     now=now, silent=True)
        uow.commit()
    return {"waiting": len(waiting)}


def escalate_dm(ctx: TaskContext) -> dict:
    roll_call_id = int(ctx.subject_id)
    roll_call, plan, about = _load(ctx.bot, roll_call_id)
    with ctx.bot.uow(read_only=True) as uow:
        waiting = [p for p in uow.rollcalls.people(roll_call_id) if p.answer is None]
    if not waiting:
        return {"skipped": "everyone answered meanwhile"}
    text = rb.escalation_text(about, waiting, plan.contacts_link or plan.activation.contacts_url)
    lead = roll_call.lead_user_id
    look_in = known_dm(ctx.bot, lead) if ctx.retry else None
    channel, ts = ctx.bot.slack.paced_post(lead, f"{about.ref}:rollcall:escalate", text=text,
                                           blocks=[section(text)], look_in=look_in)
    return {"channel": channel, "ts": ts, "waiting": len(waiting)}


def _still_running(uow, roll_call_id: int) -> bool:
    roll_call = uow.rollcalls.get(roll_call_id)
    if roll_call.incident_id is None:
        return True
    from bot.domain.incident import is_open

    return is_open(uow.incidents.get(roll_call.incident_id).state)


TASKS = {
    "rollcall_dm": send_dm, "rollcall_tally": render_tally, "rollcall_answered": show_answer,
    "rollcall_help": alert_help, "rollcall_remind": remind, "rollcall_remind_dm": remind_dm,
    "rollcall_escalate": escalate, "rollcall_escalate_dm": escalate_dm,
}
