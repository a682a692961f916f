"""Outbox tasks of an activation request from outside the team: asking the team, and saying it was decided."""
from __future__ import annotations

import logging

from bot.domain.errors import SlackUnavailable
from bot.slack import blocks
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases.access import plan_of, team_ids
from bot.worker.outbox import TaskContext

log = logging.getLogger("bcbot.requests")


def ask_team(ctx: TaskContext) -> dict:
    """Each team member gets the request to approve (keyed: a retry sends only those not yet sent), then
    the requester hears where it went."""
    bot, request_id = ctx.bot, int(ctx.subject_id)
    with bot.uow(read_only=True) as uow:
        request = uow.requests.get(request_id)
        plan = plan_of(bot, uow, request.plan_version_id)
    text, request_blocks = blocks.approval_request_text(request, plan), blocks.approval_request_blocks(request, plan)
    sent: list[tuple[str, str]] = []
    for member in team_ids(bot, plan):
        try:
            channel = bot.slack.open_dm(member)
            sent.append((channel, bot.slack.post_once(channel, f"request:{request.id}:approval:{member}",
                                                      retry=ctx.retry, text=text, blocks=request_blocks)))
        except SlackUnavailable:
            log.warning("could not send the activation request to a team member")
    with bot.uow() as uow:
        uow.requests.set_approval_messages(request.id, sent)
        uow.commit()
    names = ", ".join(p.name for p in plan.activation.team)
    if sent:
        outcome = "with_team"
        message = (f"You are not on the Business Continuity Team for *{safe(plan.title, 150)}*, so your request "
                   f"has gone to them for approval ({safe(names, 500)}). You will hear back here.")
    else:
        outcome = "team_unreachable"
        message = (f"Your request for *{safe(plan.title, 150)}* is recorded, but no team member could be reached in "
                   f"Slack. Call them now: {safe(names, 500)}"
                   + (f" — {contacts}" if (contacts := blocks.contacts_mrkdwn(plan, "contact details")) else ""))
    bot.slack.post_once(bot.slack.open_dm(request.requested_by), f"request:{request.id}:{outcome}", retry=ctx.retry,
                        text=message)
    return {"asked": len(sent)}


def link_approvals(ctx: TaskContext) -> dict:
    """Once an approved request's incident has its channel: the team's approval DMs link to it."""
    bot = ctx.bot
    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(int(ctx.subject_id))
        request = uow.requests.get(int(ctx.args["request_id"]))
        plan = plan_of(bot, uow, request.plan_version_id)
    decided = blocks.request_decided_blocks(request, plan, approved=True, by=request.decided_by or "", incident=incident)
    for channel, ts in request.approval_messages:
        bot.slack.update(channel, ts, text=f"Activation request approved: {incident.ref}", blocks=decided)
    return {"linked": len(request.approval_messages)}


def request_decided(ctx: TaskContext) -> dict:
    """The team's DMs say who decided (and link the incident); a declined requester is told."""
    bot, request_id = ctx.bot, int(ctx.subject_id)
    approve, by, incident_id = ctx.args["approve"], ctx.args["by"], ctx.args.get("incident_id")
    with bot.uow(read_only=True) as uow:
        request = uow.requests.get(request_id)
        plan = plan_of(bot, uow, request.plan_version_id)
        incident = uow.incidents.get(incident_id) if incident_id else None
    if not approve:
        bot.slack.post_once(bot.slack.open_dm(request.requested_by), f"request:{request.id}:declined", retry=ctx.retry,
                            text=f"{user_mention(by)} declined your request to activate *{safe(plan.title, 150)}*. "
                                 "Talk to them if the situation changes.")
    decided = blocks.request_decided_blocks(request, plan, approved=approve, by=by, incident=incident)
    for channel, ts in request.approval_messages:
        try:
            bot.slack.update(channel, ts, text="Activation request decided", blocks=decided)
        except SlackUnavailable:
            log.warning("could not mark a team member's copy of request %s as decided", request_id)
    return {}
