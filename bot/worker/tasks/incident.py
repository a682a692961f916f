"""Outbox tasks of a running incident's record: decision posts, situation reports, nudges, ephemerals."""
from __future__ import annotations

from datetime import datetime

from bot.domain.records import Incident
from bot.domain.plan import Plan
from bot.slack import incident_blocks
from bot.usecases.access import plan_of
from bot.worker.outbox import TaskContext


def incident_and_plan(ctx: TaskContext) -> tuple[Incident, Plan]:
    with ctx.bot.uow(read_only=True) as uow:  # tasks read at once; none waits for another's write lock
        incident = uow.incidents.get(int(ctx.subject_id))
        return incident, plan_of(ctx.bot, uow, incident.plan_version_id)


def post_decision(ctx: TaskContext) -> dict:
    incident, _ = incident_and_plan(ctx)
    with ctx.bot.uow(read_only=True) as uow:
        decision = next(d for d in uow.decisions.list(incident.id) if d.number == ctx.args["number"])
    assert incident.channel_id
    ts = ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:{ctx.task.name}", retry=ctx.retry,
                                 text=incident_blocks.decision_text(incident, decision),
                                 blocks=incident_blocks.decision_blocks(incident, decision))
    return {"ts": ts}


def post_update(ctx: TaskContext) -> dict:
    """A situation report in the incident channel, or (`announce`) its copy in the announcement channel."""
    incident, plan = incident_and_plan(ctx)
    args = ctx.args
    next_due = datetime.fromisoformat(args["next_due"]) if args.get("next_due") else None
    report = incident_blocks.update_blocks(incident, plan, situation=args["situation"], actions=args.get("actions"),
                                           next_due=next_due, by=args["by"], at=datetime.fromisoformat(args["at"]))
    channel = ctx.bot.settings.bcbot_announce_channel if args.get("announce") else incident.channel_id
    if not channel:
        return {}
    ts = ctx.bot.slack.post_once(channel, f"{incident.ref}:{ctx.task.name}", retry=ctx.retry,
                                 text=f"Situation report for {incident.ref}", blocks=report)
    return {"ts": ts, "channel": channel}


def post_nudge(ctx: TaskContext) -> dict:
    incident, _ = incident_and_plan(ctx)
    assert incident.channel_id
    ts = ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:{ctx.task.name}", retry=ctx.retry,
                                 text=f"A status update for {incident.ref} is due",
                                 blocks=incident_blocks.nudge_blocks(incident))
    return {"ts": ts}


def ephemeral(ctx: TaskContext) -> dict:
    """A word to one person in the incident channel (only they see it; nothing to look for on a retry)."""
    incident, _ = incident_and_plan(ctx)
    if incident.channel_id:
        ctx.bot.slack.ephemeral(incident.channel_id, ctx.args["user"], ctx.args["text"])
    return {}
