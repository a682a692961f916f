"""Outbox tasks of a running incident's record: decision posts, situation reports, nudges, ephemerals."""
from __future__ import annotations

from datetime import datetime

from bot.domain.report import build_report, render_markdown
from bot.slack import blocks, incident_blocks
from bot.worker.outbox import TaskContext
from bot.worker.people import learn_slack_names


def post_decision(ctx: TaskContext) -> dict:
    incident, _ = ctx.incident_and_plan()
    with ctx.bot.uow(read_only=True) as uow:
        decision = next(d for d in uow.decisions.list(incident.id) if d.number == ctx.args["number"])
    assert incident.channel_id
    ts = ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:{ctx.task.name}", retry=ctx.retry,
                                 text=incident_blocks.decision_text(incident, decision),
                                 blocks=incident_blocks.decision_blocks(incident, decision))
    return {"ts": ts}


def post_update(ctx: TaskContext) -> dict:
    """A situation report in the incident channel, or (`announce`) its copy in the announcement channel."""
    incident, plan = ctx.incident_and_plan()
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
    incident, _ = ctx.incident_and_plan()
    assert incident.channel_id
    ts = ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:{ctx.task.name}", retry=ctx.retry,
                                 text=f"A status update for {incident.ref} is due",
                                 blocks=incident_blocks.nudge_blocks(incident))
    return {"ts": ts}


def ephemeral(ctx: TaskContext) -> dict:
    """A word to one person in the incident channel (only they see it; nothing to look for on a retry)."""
    incident, _ = ctx.incident_and_plan()
    if incident.channel_id:
        ctx.bot.slack.ephemeral(incident.channel_id, ctx.args["user"], ctx.args["text"])
    return {}


def phase_notice(ctx: TaskContext) -> dict:
    """The channel's note that the incident moved on, naming the steps carried over."""
    incident, _ = ctx.incident_and_plan()
    phase = ctx.args["phase"]
    with ctx.bot.uow(read_only=True) as uow:
        change = next(e for e in reversed(uow.log.entries(incident.id))
                      if e.kind == "phase_changed" and e.data.get("to") == phase)
        previous = change.data["from"]
        carried_over = set(change.data.get("carried_over") or [])
        carried = [s for s in uow.incidents.steps(incident.id, previous) if s.position in carried_over]
    assert incident.channel_id
    text = incident_blocks.phase_changed_text(incident, previous=previous, phase=phase, by=change.actor,
                                              carried_over=carried)
    return {"ts": ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:phase:{phase}", retry=ctx.retry,
                                          text=text)}


def post_stood_down(ctx: TaskContext) -> dict:
    """The closing post: the incident's summary and its report's figures."""
    incident, plan = ctx.incident_and_plan()
    report = build_report(ctx.bot.uow, incident.ref, tz=ctx.bot.settings.timezone)
    assert incident.channel_id
    ts = ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:stood_down", retry=ctx.retry,
                                 text=f"{incident.ref} stood down",
                                 blocks=incident_blocks.stood_down_blocks(incident, plan, by=ctx.args["by"], report=report))
    return {"ts": ts}


def upload_report(ctx: TaskContext) -> dict:
    """The incident report as a file in the channel (a retry looks for it by name first)."""
    incident, _ = ctx.incident_and_plan()
    assert incident.channel_id
    filename = f"{incident.ref}-report.md"
    if ctx.retry and ctx.bot.slack.find_file(incident.channel_id, filename):
        return {}
    learn_slack_names(ctx.bot)  # the report names everyone, not only those the periodic job has reached
    report = build_report(ctx.bot.uow, incident.ref, tz=ctx.bot.settings.timezone)
    ctx.bot.slack.upload_file(channel=incident.channel_id, filename=filename,
                              content=render_markdown(report), title=f"{incident.ref} incident report")
    return {}


def render_announcement(ctx: TaskContext) -> dict:
    """The announcement channel's message follows the incident's state."""
    incident, plan = ctx.incident_and_plan()
    channel = ctx.bot.settings.bcbot_announce_channel
    if incident.announce_ts and channel:
        text = blocks.announcement_text(incident, plan)
        ctx.bot.slack.update(channel, incident.announce_ts, text=text, blocks=[blocks.section(text)])
    return {}


def set_topic(ctx: TaskContext) -> dict:
    """The channel topic follows the incident's state."""
    incident, _ = ctx.incident_and_plan()
    if incident.channel_id:
        ctx.bot.slack.set_topic(incident.channel_id, blocks.topic(incident))
    return {}
