"""Use cases of a running incident's record: decisions, status updates and their nudges.

Each runs inside the intent's unit of work (see bot/worker/intents.py): it checks, records, and owes
Slack its posts as outbox tasks; it never calls Slack's write methods itself.
"""
from __future__ import annotations

from datetime import timedelta

from bot.domain.commands import DecisionFromMessage, DecisionInChannel, LogDecision, PostUpdate, SnoozeNudge
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.outbox import Task, incident_subject
from bot.domain.records import SNOOZE_MINUTES, Decision, DecisionInput
from bot.domain.text import capped
from bot.slack.mrkdwn import from_slack, user_mention
from bot.slack.parse import USER_ID
from bot.usecases import effects
from bot.usecases.access import incident_in_channel, load, require_responder
from bot.usecases.ports import Parts, UnitOfWork


def log_decision(bot: Parts, uow: UnitOfWork, command: LogDecision, *, actor: str) -> Decision:
    """Number and record a decision (D1, D2 ... without gaps, under the incident's row lock) and owe its post."""
    incident_id, decision_input = command.incident_id, command.entry
    incident, plan = load(bot, uow, incident_id)
    require_responder(bot, incident, plan, actor, "log decisions")
    text = capped(decision_input.decision)  # a quoted message may be longer than a form lets anyone type
    if not text:
        raise InvalidInput("A decision needs some text.", {"decision": "Say what was decided."})
    corrects = decision_input.corrects
    if corrects is not None and corrects not in {d.number for d in uow.decisions.list(incident_id)}:
        raise InvalidInput(f"There is no decision D{corrects} in {incident.ref}.", {"corrects": "No such decision."})
    now = bot.clock()
    decision = uow.decisions.add(
        incident_id=incident_id, decision=text, rationale=capped(decision_input.rationale) or None,
        options=capped(decision_input.options) or None, decided_by=decision_input.decided_by or actor,
        logged_by=actor, corrects=corrects, source_link=decision_input.source_link, now=now)
    uow.log.append(incident_id=incident_id, at=now, actor=actor, kind="decision",
                   summary=f"{decision.label}: {text}" + (f" (corrects D{corrects})" if corrects else ""),
                   data={"number": decision.number, "decided_by": decision.decided_by, "corrects": corrects})
    posted = f"post_decision:{decision.number}"
    effects.post(uow, incident_id, now, "post_decision", posted, number=decision.number)
    # The person hears it went through once the post is done (found by its key, if Slack's answer was lost).
    uow.outbox.add(incident_subject(incident_id), [Task(
        "ephemeral", name=f"decision_posted:{decision.number}", depends_on=posted,
        args={"user": actor, "text": f"Logged as {decision.label} and posted in the channel."})], now)
    return decision


def decision_in_channel(bot: Parts, uow: UnitOfWork, command: DecisionInChannel, *, actor: str) -> Decision:
    """`/activate decision TEXT` in an incident channel."""
    incident = incident_in_channel(uow, command.channel_id)
    return log_decision(bot, uow, LogDecision(incident.id, DecisionInput(command.text)), actor=actor)


def decision_from_message(bot: Parts, uow: UnitOfWork, command: DecisionFromMessage, *, actor: str) -> Decision:
    """The 'Log as decision' message shortcut: the message becomes a decision, quoted, with its permalink."""
    incident = incident_in_channel(uow, command.channel_id)
    message = command.message
    text = from_slack(message.text or "").strip()
    if not text:
        raise InvalidInput("That message has no text to log as a decision.")
    link = bot.permalink(incident.channel_id, message.ts) if message.ts and incident.channel_id else None
    author = message.user
    decided_by = author if author and USER_ID.match(author) else actor
    return log_decision(bot, uow, LogDecision(incident.id, DecisionInput(text, decided_by=decided_by, source_link=link)),
                        actor=actor)


def post_update(bot: Parts, uow: UnitOfWork, command: PostUpdate, *, actor: str) -> None:
    """A situation report: recorded, posted in the channel (and the announcement channel), the header refreshed."""
    incident_id, update_input = command.incident_id, command.update
    incident, plan = load(bot, uow, incident_id)
    require_responder(bot, incident, plan, actor, "post status updates")
    situation = capped(update_input.situation)
    if not situation:
        raise InvalidInput("An update needs the situation.", {"situation": "Say where things stand."})
    actions = capped(update_input.actions) or None
    now = bot.clock()
    due = now + timedelta(minutes=update_input.next_update_minutes) if update_input.next_update_minutes else None
    uow.incidents.set_next_update_due(incident_id, due)
    entry_id = uow.log.append(incident_id=incident_id, at=now, actor=actor, kind="status_update",
                              summary=f"Status update: {situation}",
                              data={"situation": situation, "actions": actions,
                                    "next_update_due": due.isoformat() if due else None})
    report = {"situation": situation, "actions": actions, "next_due": due.isoformat() if due else None,
              "by": actor, "at": now.isoformat()}
    effects.post(uow, incident_id, now, "post_update", f"post_update:{entry_id}", **report)
    if bot.settings.bcbot_announce_channel:
        effects.post(uow, incident_id, now, "post_update", f"announce_update:{entry_id}", announce=True, **report)
    effects.rerender(uow, incident_id, now, header=True)


def snooze_nudge(bot: Parts, uow: UnitOfWork, command: SnoozeNudge, *, actor: str) -> None:
    incident_id, minutes = command.incident_id, command.minutes
    if minutes not in SNOOZE_MINUTES:
        raise InvalidInput("Snooze for 30 or 60 minutes.")
    assert minutes is not None
    incident, plan = load(bot, uow, incident_id)
    require_responder(bot, incident, plan, actor, "snooze update reminders")
    now = bot.clock()
    due = now + timedelta(minutes=minutes)
    uow.incidents.set_next_update_due(incident_id, due)
    entry_id = uow.log.append(incident_id=incident_id, at=now, actor=actor, kind="update_snoozed",
                              summary=f"Status update reminder snoozed for {minutes} minutes",
                              data={"due": due.isoformat()})
    effects.post(uow, incident_id, now, "ephemeral", f"snoozed:{entry_id}", user=actor,
                 text=f"OK: I'll remind {user_mention(incident.lead_user_id)} again in {minutes} minutes.")


def nudge_due_updates(bot: Parts, uow: UnitOfWork) -> int:
    """Scheduler job: nudge the lead once per due time when a status update is due (one unit of work)."""
    now = bot.clock()
    nudged = 0
    for incident in uow.incidents.due_for_nudge(now):
        if incident.next_update_due is None or not uow.incidents.claim_nudge(incident.id, incident.next_update_due):
            continue
        due = incident.next_update_due.isoformat()
        uow.log.append(incident_id=incident.id, at=now, actor=None, kind="update_nudged",
                       summary="Lead reminded that a status update is due", data={"due": due})
        effects.post(uow, incident.id, now, "post_nudge", f"nudge:{due}")
        nudged += 1
    return nudged


def decisions_of(uow: UnitOfWork, incident_id: int) -> list[Decision]:
    if uow.incidents.find(incident_id) is None:
        raise NotFound("That incident no longer exists.")
    return uow.decisions.list(incident_id)
