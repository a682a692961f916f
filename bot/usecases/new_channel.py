"""Create a new channel: an incident whose channel was deleted runs its Slack set-up again in a new one.

The lead's DM about the deleted channel offers the button (bot/worker/tasks/held.py). One transaction
leaves the old channel (only once: a second click or a replay finds it left), records it in the incident
log, owes the new set-up (channel, topic, invitations, header and pin, every phase's checklist as it stands
now, the announcement) and moves what was held for the old channel: its posts go out in the new channel
after the checklists, in the order they were owed; edits of messages that are gone are dropped.
"""
from __future__ import annotations

from bot.domain.commands import NewChannel
from bot.domain.errors import BcbotError
from bot.domain.incident import IncidentState
from bot.domain.outbox import REDONE, REPOSTED, Task, incident_subject
from bot.slack.mrkdwn import channel_link
from bot.usecases.access import load, require_lead_or_team
from bot.usecases.activation import CREATE_CHANNEL
from bot.usecases.ports import Parts, UnitOfWork

REPLACED = "channel_replaced"  # the incident log's kind for it (the report's timeline shows it)


def new_channel(bot: Parts, uow: UnitOfWork, command: NewChannel, *, actor: str) -> str:
    """Leave the deleted channel and owe the set-up of a new one; the name of the task that creates it."""
    incident, plan = load(bot, uow, command.incident_id, must_be_open=False)
    require_lead_or_team(bot, incident, plan, actor, "create a new channel for")
    old = command.channel_id
    if incident.channel_id != old:
        raise BcbotError(_already(incident.ref, incident.channel_id))
    subject = incident_subject(incident.id)
    if not uow.outbox.held_for(subject, "channel_not_found", old):
        raise BcbotError(f"Slack has not told bcbot that {channel_link(old)} was deleted, so {incident.ref} keeps it.")
    if not uow.incidents.forget_channel(incident.id, old):  # someone else's click got there first
        raise BcbotError(_already(incident.ref, None))
    now = bot.clock()
    generation = 2 + sum(e.kind == REPLACED for e in uow.log.entries(incident.id))  # the first set-up is 1
    uow.log.append(incident_id=incident.id, at=now, actor=actor, kind=REPLACED,
                   summary=f"New channel asked for: #{incident.channel_name or old} was deleted",
                   data={"old_channel": old, "old_name": incident.channel_name, "generation": generation})

    def name(task: str) -> str:
        return f"{task}:{generation}"

    created = name(CREATE_CHANNEL)
    tasks = [Task(CREATE_CHANNEL, name=created, args={"generation": generation}),
             Task("set_topic", name=name("set_topic"), depends_on=created),
             Task("invite", name=name("invite"), depends_on=created),
             Task("post_header", name=name("post_header"), depends_on=created),
             Task("pin_header", name=name("pin_header"), depends_on=name("post_header"))]
    if bot.settings.bcbot_announce_channel:
        tasks.append(Task("render_announcement", name=name("render_announcement"), depends_on=created))
    last = name("post_header")
    for phase in _phases_reached(uow, incident.id):  # each phase's checklist, after the header, in order
        tasks.append(Task("post_checklist", name=name(f"post_checklist:{phase}"), args={"phase": phase},
                          depends_on=last))
        last = name(f"post_checklist:{phase}")
    moved = uow.outbox.move_to_new_channel(subject, old, repost=REPOSTED, redone=REDONE, after=last, now=now)
    told = sorted({actor, incident.lead_user_id})
    tasks.append(Task("tell_new_channel", name=name("told"), args={"users": told, "reposted": len(moved)},
                      depends_on=moved[-1] if moved else last))
    uow.outbox.add(subject, tasks, now)
    return created


def _already(ref: str, channel: str | None) -> str:
    if channel:
        return f"{ref} has a new channel already: {channel_link(channel)}."
    return f"A new channel for {ref} is being made already."


def _phases_reached(uow: UnitOfWork, incident_id: int) -> list[str]:
    """The phases the incident has been in, in order (a stood-down incident's last phase included)."""
    phases = [IncidentState.INCIDENT_MANAGEMENT.value]
    for entry in uow.log.entries(incident_id):
        to = entry.data.get("to") if entry.kind == "phase_changed" else None
        if isinstance(to, str) and to not in phases:
            phases.append(to)
    return phases
