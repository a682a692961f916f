"""Outbox tasks of a new incident's Slack set-up: channel, topic, invitations, header, pin, checklist,
announcement and the activators' DMs. Each may run again after a crash: it looks before it acts."""
from __future__ import annotations

import logging

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable
from bot.domain.incident import channel_names, channel_words
from bot.domain.records import Incident
from bot.slack import blocks
from bot.slack.api import NameTaken
from bot.slack.mrkdwn import safe
from bot.slack.recovery_blocks import service_blocks
from bot.slack.role_blocks import roles_field
from bot.usecases.activation import CREATE_CHANNEL
from bot.worker.outbox import TaskContext, TaskFunction

log = logging.getLogger("bcbot.setup")


def _channel(incident: Incident) -> str:
    """The incident's channel: every set-up task but create_channel runs after it (DEPENDS_ON)."""
    if not incident.channel_id:
        raise RuntimeError(f"incident {incident.id} has no channel yet ({CREATE_CHANNEL} has not finished)")
    return incident.channel_id


def create_channel(ctx: TaskContext) -> dict:
    """The incident's channel; `generation` 2, 3 ... for the one made after its channel was deleted."""
    bot, incident_id, generation = ctx.bot, int(ctx.subject_id), int(ctx.args.get("generation", 1))
    incident, plan = ctx.incident_and_plan()
    if incident.channel_id:
        # An earlier attempt created and recorded the channel, then died before the task was marked done.
        return {"channel": incident.channel_id, "name": incident.channel_name}
    known = plan.activation.circumstance(incident.circumstance)
    # A confidential incident's channel says nothing of what happened: bc-12 only.
    words = "" if incident.confidential else channel_words(incident.circumstance, known.short if known else None)
    names = channel_names(incident_id=incident.id, words=words, exercise=incident.is_exercise,
                          salt=incident.activated_at.isoformat() + (f":{generation}" if generation > 1 else ""))
    for name in names:
        try:
            channel_id: str | None = bot.slack.create_channel(name, private=incident.confidential)
        except NameTaken:
            channel_id = None
        except SlackUnavailable:
            _tell_channel_refused(bot, incident)
            raise
        if channel_id is None:
            # After a lost reply (a crash, a timeout) the channel may be ours already: a channel bcbot
            # created that no incident has claimed is this incident's.
            channel_id = _unclaimed_own_channel(bot, name, private=incident.confidential) if ctx.retry else None
            if channel_id is None:
                continue
        with bot.uow() as uow:
            uow.incidents.set_fields(incident_id, channel_id=channel_id, channel_name=name)
            uow.log.append(incident_id=incident_id, at=bot.clock(), actor=None, kind="channel_created",
                           summary=f"Channel #{name} created",
                           data={"channel": channel_id, **({"generation": generation} if generation > 1 else {})})
            uow.commit()
        return {"channel": channel_id, "name": name}
    raise SlackUnavailable("every channel name for this incident is taken")


def _tell_channel_refused(bot: Bcbot, incident: Incident) -> None:
    """The activator hears once that the channel is not there yet (the task keeps trying meanwhile)."""
    try:
        dm = bot.slack.open_dm(incident.activated_by)
        bot.slack.post_once(dm, f"{incident.ref}:channel_refused", retry=True,
                            text=f"{incident.ref} is recorded, but Slack would not create its channel; bcbot will "
                                 "keep trying. Meanwhile, follow the plan by phone.")
    except SlackUnavailable:
        log.warning("incident %s: could not tell the activator that its channel is not there yet", incident.id)


def _unclaimed_own_channel(bot: Bcbot, name: str, *, private: bool) -> str | None:
    found = bot.slack.find_channel(name, private=private)
    if not found or found.get("creator") != bot.bot_user_id:
        return None
    with bot.uow(read_only=True) as uow:
        taken = uow.incidents.by_channel(found["id"])
    return None if taken else found["id"]


def invite(ctx: TaskContext) -> dict:
    bot, incident_id = ctx.bot, int(ctx.subject_id)
    incident, plan = ctx.incident_and_plan()
    people = bot.directory.user_ids([*plan.activation.team, *plan.owners])
    with bot.uow(read_only=True) as uow:  # role holders too: their steps are in the channel
        holders = [r.holder for r in uow.roles.of_incident(incident_id) if r.holder]
    for extra in (incident.lead_user_id, incident.activated_by, incident.approved_by, *holders):
        if extra and extra not in people:
            people.append(extra)
    people = [p for p in people if p != bot.bot_user_id]
    failed = bot.slack.invite(_channel(incident), people)
    if failed:
        log.warning("could not invite %d people to incident %s", len(failed), incident_id)
    return {"invited": [p for p in people if p not in failed], "failed": failed}


def post_header(ctx: TaskContext) -> dict:
    bot, incident_id = ctx.bot, int(ctx.subject_id)
    incident, plan = ctx.incident_and_plan()
    with bot.uow(read_only=True) as uow:
        steps = uow.incidents.steps(incident_id)
        roles = roles_field(uow.roles.of_incident(incident_id))
        services = service_blocks(incident, uow.recovery.of_incident(incident_id), bot.clock())
    ts = bot.slack.post_once(_channel(incident), f"{incident.ref}:header", retry=ctx.retry, text=blocks.header_text(incident, plan),
                    blocks=blocks.header_blocks(incident, plan, steps, roles, services))
    with bot.uow() as uow:
        uow.incidents.set_fields(incident_id, header_ts=ts)
        uow.commit()
    return {"ts": ts}


def pin_header(ctx: TaskContext) -> dict:
    bot, incident_id = ctx.bot, int(ctx.subject_id)
    incident, _ = ctx.incident_and_plan()
    if not incident.header_ts:
        raise RuntimeError(f"incident {incident_id} has no header message yet (post_header has not finished)")
    bot.slack.pin(_channel(incident), incident.header_ts)
    return {}


def announce(ctx: TaskContext) -> dict:
    bot, incident_id = ctx.bot, int(ctx.subject_id)
    incident, plan = ctx.incident_and_plan()
    channel = bot.settings.bcbot_announce_channel
    if not channel:  # owed only when the setting was there; it may have gone since (a restart)
        log.info("incident %s: not announced, BCBOT_ANNOUNCE_CHANNEL is no longer set", incident_id)
        return {"skipped": "BCBOT_ANNOUNCE_CHANNEL is not set"}
    text = blocks.announcement_text(incident, plan)
    ts = bot.slack.post_once(channel, f"{incident.ref}:announce", retry=ctx.retry, text=text, blocks=[blocks.section(text)])
    with bot.uow() as uow:
        uow.incidents.set_fields(incident_id, announce_ts=ts)
        uow.commit()
    return {"ts": ts}


def notify_people(ctx: TaskContext) -> dict:
    bot = ctx.bot
    incident, plan = ctx.incident_and_plan()
    what = "exercise" if incident.is_exercise else "activation"
    incident_channel = _channel(incident)
    told = {}
    for user in sorted({u for u in (incident.activated_by, incident.approved_by) if u is not None}):
        # Keyed like every other post, so a retry after a crash (or a lost reply) finds the DM already sent.
        channel = bot.slack.open_dm(user)
        told[user] = bot.slack.post_once(channel, f"{incident.ref}:under_way:{user}", retry=ctx.retry,
                                text=f"{incident.ref} ({what} of {safe(plan.title, 150)}) is under way in "
                                     f"<#{incident_channel}>.")
    return {"told": told}


TASKS: dict[str, TaskFunction] = {
    CREATE_CHANNEL: create_channel, "invite": invite, "post_header": post_header,
    "pin_header": pin_header, "announce": announce, "notify_people": notify_people,
}
