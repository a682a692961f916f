"""Telling people that an effect of their action is held because Slack refuses it for good, and the fix."""
from __future__ import annotations

from bot.domain.outbox import CHANNEL_UNUSABLE
from bot.slack import blocks
from bot.slack.ids import Action
from bot.slack.mrkdwn import channel_link, safe, user_mention
from bot.worker.outbox import TaskContext

_FIX = {
    "is_archived": ("{channel} is archived, so Slack will not let bcbot post or update anything there.",
                    "Unarchive it (open the channel, then *Unarchive channel*): bcbot then posts what is waiting, "
                    "once, by itself."),
    "not_in_channel": ("bcbot was removed from {channel}, so it cannot post or update anything there.",
                       "Type `/invite @bcbot` in the channel: bcbot then posts what is waiting, once, by itself."),
    "channel_not_found": ("{channel} was deleted, so Slack has nowhere to post it.",
                          "Nothing posted there can come back. Carry on by phone and in another channel; the record "
                          "is safe, and `bcbot report` has it all."),
}

_NEW_CHANNEL = ("Click *Create a new channel* below: bcbot makes one, invites the people, pins a new header, posts "
                "every phase's checklist as it stands, then what was waiting. The record is safe, and `bcbot report` "
                "has it all.")


def tell_held(ctx: TaskContext) -> dict:
    """A DM (the channel itself may be the problem) to the person whose action's effect is held, or to the lead."""
    args, bot = ctx.args, ctx.bot
    incident = None
    if ctx.task.subject.startswith("incident:"):
        with bot.uow(read_only=True) as uow:
            incident = uow.incidents.get(int(ctx.subject_id))
    user = incident.lead_user_id if args.get("lead") and incident else args.get("user")
    if not user or (args.get("unless_lead") and incident and user == incident.lead_user_id):
        return {"skipped": "nobody to tell, or the lead is told by the lead's message"}
    code, channel = args["code"], args.get("channel")
    if incident and channel == incident.channel_id and incident.channel_name:
        where = "#" + safe(incident.channel_name, 80)
    else:
        where = channel_link(channel) if channel else "the conversation"
    ref = f"*{safe(incident.ref, 20)}*" if incident else "bcbot"
    if args.get("lead"):
        opening = f"{ref}: Slack is refusing bcbot's posts and updates for this incident."
    else:
        opening = f"What you just did in {ref} is recorded, but Slack would not show it."
    offer = None
    if code in CHANNEL_UNUSABLE:
        what, fix = _FIX[code]
        if code == "channel_not_found" and incident and args.get("lead") and channel == incident.channel_id:
            fix, offer = _NEW_CHANNEL, channel  # the lead (or the team) can carry on in a new channel
        text = f"{opening} {what.format(channel=where)} {fix}"
        if code == "channel_not_found" and incident and not args.get("lead"):
            text += (f" The incident lead ({user_mention(incident.lead_user_id)}) has been told, and can create "
                     "a new channel.")
    else:
        text = (f"{opening} Slack refused it for good (`{safe(code, 48)}`), so bcbot will not try again. "
                "Tell your bcbot admin: `bcbot doctor` lists what is held.")
    dm = bot.slack.open_dm(user)
    shown = None
    if offer and incident:
        shown = [blocks.section(text), {"type": "actions", "elements": [blocks.button(
            "Create a new channel", Action.NEW_CHANNEL.value, {"i": incident.id, "c": offer}, style="primary")]}]
    return {"ts": bot.slack.post_once(dm, f"{ctx.task.subject}:{ctx.task.name}", retry=ctx.retry, text=text,
                                      blocks=shown)}


def tell_new_channel(ctx: TaskContext) -> dict:
    """The people who asked for a new channel (and the lead) hear where the incident carries on."""
    bot = ctx.bot
    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(int(ctx.subject_id))
    if not incident.channel_id:
        raise RuntimeError(f"incident {incident.id} has no channel yet (its new set-up has not finished)")
    reposted = int(ctx.args.get("reposted") or 0)
    text = (f"*{safe(incident.ref, 20)}* carries on in {channel_link(incident.channel_id)}: the team is invited, "
            "the header is pinned and every phase's checklist is posted as it stands"
            + (f", followed by the {reposted} post(s) that were waiting." if reposted else "."))
    told = {}
    for user in ctx.args.get("users") or []:
        dm = bot.slack.open_dm(user)
        told[user] = bot.slack.post_once(dm, f"{ctx.task.subject}:{ctx.task.name}:{user}", retry=ctx.retry, text=text)
    return {"told": told}
