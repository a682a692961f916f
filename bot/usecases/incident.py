"""Use cases of a running incident: phases, decisions, status updates and nudges, stand-down."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.errors import BcbotError, IncidentStoodDown, InvalidInput, NotAllowed, NotFound, SlackUnavailable
from bot.domain.incident import STATE_LABELS, IncidentEvent, IncidentState, is_open, next_state
from bot.domain.plan import PHASE_ORDER, Plan
from bot.domain.records import Incident, StepStatus
from bot.domain.text import clean
from bot.slack import blocks
from bot.slack import incident_blocks as render_incident
from bot.slack.mrkdwn import from_slack, user_mention
from bot.slack.parse import USER_ID
from bot.usecases.activation import plan_of, team_ids
from bot.usecases.checklist import post_phase_checklist, refresh_checklist
from bot.usecases.ports import Bcbot

log = logging.getLogger("bcbot.incident")


@dataclass(frozen=True)
class DecisionInput:
    decision: str
    rationale: str | None = None
    options: str | None = None
    decided_by: str | None = None
    corrects: int | None = None
    source_link: str | None = None


@dataclass(frozen=True)
class UpdateInput:
    situation: str
    actions: str | None
    next_update_minutes: int | None


def load(bot: Bcbot, incident_id: int, *, must_be_open: bool = True) -> tuple[Incident, Plan]:
    with bot.uow() as uow:
        incident = uow.incidents.find(incident_id)
        if incident is None:
            raise NotFound("That incident no longer exists.")
        plan = plan_of(bot, uow, incident.plan_version_id)
    if must_be_open and not is_open(incident.state):
        raise IncidentStoodDown(incident.ref)
    return incident, plan


def incident_in_channel(bot: Bcbot, channel_id: str | None) -> Incident:
    with bot.uow() as uow:
        incident = uow.incidents.by_channel(channel_id) if isinstance(channel_id, str) and channel_id else None
    if incident is None:
        raise NotFound("This is not an incident channel: use it in the channel bcbot opened for the incident.")
    return incident


def require_lead_or_team(bot: Bcbot, incident: Incident, plan: Plan, user_id: str, doing: str) -> None:
    if user_id != incident.lead_user_id and user_id not in team_ids(bot, plan):
        raise NotAllowed(f"Only the incident lead ({user_mention(incident.lead_user_id)}) or the Business Continuity "
                         f"Team can {doing} {incident.ref}.")


def require_responder(bot: Bcbot, incident: Incident, plan: Plan, user_id: str, doing: str) -> None:
    """The lead, the team and the plan owners: the people the incident channel was opened for."""
    owners = bot.directory.user_ids(plan.owners)
    if user_id != incident.lead_user_id and user_id not in team_ids(bot, plan) and user_id not in owners:
        raise NotAllowed(f"Only the incident lead, the Business Continuity Team or the plan owners can {doing} "
                         f"for {incident.ref}.")


# Phases --------------------------------------------------------------------------------------
def advance_phase(bot: Bcbot, *, incident_id: int, user_id: str, from_phase: str | None = None) -> IncidentState:
    """Move to the next phase; open steps are recorded as carried over. `from_phase` is the phase the
    person saw: if the incident has moved on since, nothing happens."""
    incident, plan = load(bot, incident_id)
    require_lead_or_team(bot, incident, plan, user_id, "change the phase of")
    if from_phase and from_phase != incident.state.value:
        raise BcbotError(f"{incident.ref} has already moved on to {STATE_LABELS[incident.state].lower()}.")
    target = next_state(incident.state, IncidentEvent.ADVANCE_PHASE)
    now = bot.clock()
    with bot.uow() as uow:
        carried = [s for s in uow.incidents.steps(incident_id, incident.state.value) if s.status is StepStatus.OPEN]
        if not uow.incidents.transition(incident_id, from_=incident.state, to=target, now=now):
            raise BcbotError(f"{incident.ref} has already moved on from {STATE_LABELS[incident.state].lower()}.")
        uow.log.append(incident_id=incident_id, at=now, actor=user_id, kind="phase_changed",
                       summary=f"Moved from {STATE_LABELS[incident.state]} to {STATE_LABELS[target]}"
                               + (f"; {len(carried)} open steps carried over" if carried else ""),
                       data={"from": incident.state.value, "to": target.value,
                             "carried_over": [s.position for s in carried]})
        # The Slack side goes through the outbox: a failure or a crash is finished later, never lost.
        uow.outbox.add(incident_id, [f"phase:{target.value}:{step}" for step in PHASE_TASKS], now)
        uow.commit()
    from bot.usecases.activation import run_setup

    failed = run_setup(bot, incident_id=incident_id)
    if failed:
        raise SlackUnavailable(f"{incident.ref} moved to {STATE_LABELS[target].lower()}, but Slack refused part of "
                               "the update; bcbot will keep trying.")
    return target


def _phase_notice(bot: Bcbot, incident_id: int, *, retry: bool, phase: str) -> dict:
    incident, _ = load(bot, incident_id, must_be_open=False)
    with bot.uow(read_only=True) as uow:
        change = next(e for e in reversed(uow.log.entries(incident_id))
                      if e.kind == "phase_changed" and e.data.get("to") == phase)
        previous = change.data["from"]
        carried = [s for s in uow.incidents.steps(incident_id, previous)
                   if s.position in set(change.data.get("carried_over") or [])]
    text = render_incident.phase_changed_text(incident, previous=previous, phase=phase, by=change.actor,
                                              carried_over=carried)
    from bot.usecases.activation import _post_once

    return {"ts": _post_once(bot, incident.channel_id, f"{incident.ref}:phase:{phase}", retry=retry, text=text)}


def _phase_checklist(bot: Bcbot, incident_id: int, *, retry: bool, phase: str) -> dict:
    incident, plan = load(bot, incident_id, must_be_open=False)
    return {"pages": post_phase_checklist(bot, incident, plan, retry=retry, phase=phase)}


def _phase_refresh(bot: Bcbot, incident_id: int, *, retry: bool, phase: str) -> dict:
    incident, plan = load(bot, incident_id, must_be_open=False)
    _refresh_surroundings(bot, incident, plan)
    return {}


# The Slack side of a phase change, as outbox tasks `phase:<phase>:<name>` (see activation.run_setup).
PHASE_TASKS = {"notice": _phase_notice, "checklist": _phase_checklist, "refresh": _phase_refresh}


def _refresh_surroundings(bot: Bcbot, incident: Incident, plan: Plan) -> None:
    """Topic and header follow the incident's state."""
    try:
        bot.slack.set_topic(incident.channel_id, blocks.topic(incident))
    except SlackUnavailable:
        pass  # a stale topic is cosmetic; the header is the record
    refresh_checklist(bot, incident_id=incident.id, phase=incident.state.value if is_open(incident.state) else None)


# Decisions -----------------------------------------------------------------------------------
def log_decision(bot: Bcbot, *, incident_id: int, user_id: str, entry: DecisionInput):
    incident, plan = load(bot, incident_id)
    require_responder(bot, incident, plan, user_id, "log decisions")
    text = clean(entry.decision).strip()
    if not text:
        raise InvalidInput("A decision needs some text.", {"decision": "Say what was decided."})
    now = bot.clock()
    with bot.uow() as uow:
        if entry.corrects is not None and entry.corrects not in {d.number for d in uow.decisions.list(incident_id)}:
            raise InvalidInput(f"There is no decision D{entry.corrects} in {incident.ref}.", {"corrects": "No such decision."})
        decision = uow.decisions.add(
            incident_id=incident_id, decision=text, rationale=clean(entry.rationale).strip() or None,
            options=clean(entry.options).strip() or None, decided_by=entry.decided_by or user_id, logged_by=user_id,
            corrects=entry.corrects, source_link=entry.source_link, now=now)
        uow.log.append(incident_id=incident_id, at=now, actor=user_id, kind="decision",
                       summary=f"{decision.label}: {text}" + (f" (corrects D{entry.corrects})" if entry.corrects else ""),
                       data={"number": decision.number, "decided_by": decision.decided_by, "corrects": entry.corrects})
        uow.commit()
    bot.slack.post(incident.channel_id, text=render_incident.decision_text(incident, decision),
                   blocks=render_incident.decision_blocks(incident, decision))
    return decision


def decision_from_message(bot: Bcbot, *, channel_id: str, message: dict, user_id: str):
    """The 'Log as decision' message shortcut: the message becomes a decision, quoted, with its permalink."""
    incident = incident_in_channel(bot, channel_id)
    text = from_slack(message.get("text") if isinstance(message.get("text"), str) else "").strip()
    if not text:
        raise InvalidInput("That message has no text to log as a decision.")
    ts = message.get("ts")
    link = bot.slack.permalink(channel_id, ts) if isinstance(ts, str) and ts else None
    author = message.get("user") if isinstance(message.get("user"), str) and USER_ID.match(message["user"]) else None
    return log_decision(bot, incident_id=incident.id, user_id=user_id,
                        entry=DecisionInput(decision=text, decided_by=author or user_id, source_link=link))


def decisions_of(bot: Bcbot, incident_id: int):
    with bot.uow() as uow:
        return uow.decisions.list(incident_id)


# Status updates ------------------------------------------------------------------------------
def post_update(bot: Bcbot, *, incident_id: int, user_id: str, update: UpdateInput) -> None:
    incident, plan = load(bot, incident_id)
    require_responder(bot, incident, plan, user_id, "post status updates")
    situation = clean(update.situation).strip()
    if not situation:
        raise InvalidInput("An update needs the situation.", {"situation": "Say where things stand."})
    now = bot.clock()
    due = now + timedelta(minutes=update.next_update_minutes) if update.next_update_minutes else None
    with bot.uow() as uow:
        uow.incidents.set_next_update_due(incident_id, due)
        uow.log.append(incident_id=incident_id, at=now, actor=user_id, kind="status_update",
                       summary=f"Status update: {situation}",
                       data={"situation": situation, "actions": clean(update.actions).strip() or None,
                             "next_update_due": due.isoformat() if due else None})
        uow.commit()
    incident, _ = load(bot, incident_id)
    report = render_incident.update_blocks(incident, plan, situation=situation, actions=update.actions,
                                           next_due=due, by=user_id, at=now)
    text = f"Situation report for {incident.ref}"
    bot.slack.post(incident.channel_id, text=text, blocks=report)
    if bot.settings.bcbot_announce_channel:
        bot.slack.post(bot.settings.bcbot_announce_channel, text=text, blocks=report)
    refresh_checklist(bot, incident_id=incident_id, phase=None)


def nudge_due_updates(bot: Bcbot) -> int:
    """Scheduler job: nudge the lead once per due time when a status update is due."""
    now = bot.clock()
    with bot.uow() as uow:
        due = uow.incidents.due_for_nudge(now)
    sent = 0
    for incident in due:
        with bot.uow() as uow:
            claimed = uow.incidents.claim_nudge(incident.id, incident.next_update_due)
            if claimed:
                uow.log.append(incident_id=incident.id, at=now, actor=None, kind="update_nudged",
                               summary="Lead reminded that a status update is due",
                               data={"due": incident.next_update_due.isoformat()})
            uow.commit()
        if claimed:
            try:
                bot.slack.post(incident.channel_id, text=f"A status update for {incident.ref} is due",
                               blocks=render_incident.nudge_blocks(incident))
                sent += 1
            except SlackUnavailable:
                log.warning("could not nudge the lead of incident %s", incident.id)
    return sent


def snooze_nudge(bot: Bcbot, *, incident_id: int, user_id: str, minutes: int) -> None:
    if minutes not in render_incident.SNOOZE_MINUTES:
        raise InvalidInput("Snooze for 30 or 60 minutes.")
    incident, plan = load(bot, incident_id)
    require_responder(bot, incident, plan, user_id, "snooze update reminders")
    now = bot.clock()
    due = now + timedelta(minutes=minutes)
    with bot.uow() as uow:
        uow.incidents.set_next_update_due(incident_id, due)
        uow.log.append(incident_id=incident_id, at=now, actor=user_id, kind="update_snoozed",
                       summary=f"Status update reminder snoozed for {minutes} minutes", data={"due": due.isoformat()})
        uow.commit()
    bot.slack.ephemeral(incident.channel_id, user_id, f"OK: I'll remind {user_mention(incident.lead_user_id)} again "
                                                      f"in {minutes} minutes.")


# Stand-down ----------------------------------------------------------------------------------
def check_can_stand_down(bot: Bcbot, *, incident_id: int, user_id: str) -> tuple[Incident, int]:
    incident, plan = load(bot, incident_id)
    require_lead_or_team(bot, incident, plan, user_id, "stand down")
    with bot.uow() as uow:
        open_steps = sum(s.status is StepStatus.OPEN for s in uow.incidents.steps(incident_id, incident.state.value))
    return incident, open_steps


def stand_down(bot: Bcbot, *, incident_id: int, user_id: str, closing_summary: str,
               exercise_report: dict | None = None) -> None:
    incident, plan = load(bot, incident_id)
    require_lead_or_team(bot, incident, plan, user_id, "stand down")
    summary = clean(closing_summary).strip()
    if not summary:
        raise InvalidInput("Add a short closing summary.", {"text": "Say how the incident ended."})
    now = bot.clock()
    with bot.uow() as uow:
        if not uow.incidents.transition(incident_id, from_=incident.state, to=IncidentState.STOOD_DOWN, now=now,
                                        closing_summary=summary):
            raise IncidentStoodDown(incident.ref)
        uow.log.append(incident_id=incident_id, at=now, actor=user_id, kind="stood_down",
                       summary=f"Stood down: {summary}", data={"closing_summary": summary,
                                                               "exercise_report": exercise_report})
        uow.commit()
    incident, _ = load(bot, incident_id, must_be_open=False)
    from bot.usecases import plans as governance

    try:
        _announce_stand_down(bot, incident, plan, user_id)
    finally:  # the stand-down is committed: the plan's test record and review request follow whatever Slack did
        try:
            governance.on_incident_stood_down(bot, incident_id=incident_id, exercise_report=exercise_report)
        except Exception:
            log.exception("incident %s: the post-incident review request failed", incident_id)


def _announce_stand_down(bot: Bcbot, incident: Incident, plan: Plan, user_id: str) -> None:
    from bot.domain.report import build_report, render_markdown

    report = build_report(bot.uow, incident.ref, tz=bot.settings.timezone)
    bot.slack.post(incident.channel_id, text=f"{incident.ref} stood down",
                   blocks=render_incident.stood_down_blocks(incident, plan, by=user_id, report=report))
    upload = getattr(bot.slack, "upload_file", None)
    if upload:
        try:
            upload(channel=incident.channel_id, filename=f"{incident.ref}-report.md", content=render_markdown(report),
                   title=f"{incident.ref} incident report")
        except SlackUnavailable:
            log.warning("could not attach the report of incident %s", incident.id)
    for phase in PHASE_ORDER:  # every checklist loses its buttons
        refresh_checklist(bot, incident_id=incident.id, phase=phase.value, header=phase is PHASE_ORDER[-1])
    try:
        bot.slack.set_topic(incident.channel_id, blocks.topic(incident))
    except SlackUnavailable:
        pass
    if incident.announce_ts and bot.settings.bcbot_announce_channel:
        text = blocks.announcement_text(incident, plan)
        bot.slack.update(bot.settings.bcbot_announce_channel, incident.announce_ts, text=text,
                         blocks=[blocks.section(text)])


FIRST_OVERDUE_LOOK_BACK = timedelta(days=1)


def refresh_newly_overdue(bot: Bcbot) -> int:
    """Scheduler job: re-render checklists whose steps fell overdue since the last run, so the flag shows.

    It remembers how far it has looked, so a late or skipped run misses nothing; after a start it
    looks back a day.
    """
    now = bot.clock()
    since = bot.overdue_checked_until or now - FIRST_OVERDUE_LOOK_BACK
    bot.overdue_checked_until = now
    refreshed = 0
    with bot.uow(read_only=True) as uow:
        candidates = [(i, uow.incidents.steps(i.id, i.state.value)) for i in uow.incidents.open_incidents(200)]
    for incident, steps in candidates:
        if any(s.status is StepStatus.OPEN and (due := s.due_at(incident.phase_started_at)) and since < due <= now
               for s in steps):
            refresh_checklist(bot, incident_id=incident.id, phase=incident.state.value, header=False)
            refreshed += 1
    return refreshed
