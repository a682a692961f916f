"""Use cases of phase changes, and the job that flags steps falling overdue. (To be moved onto the durable road.)"""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.slack import blocks
from bot.slack import incident_blocks as render_incident
from bot.usecases.checklist import post_phase_checklist, refresh_checklist
from bot.domain.errors import BcbotError, SlackUnavailable
from bot.domain.incident import STATE_LABELS, IncidentEvent, IncidentState, is_open, next_state
from bot.domain.plan import Plan
from bot.domain.records import Incident, StepStatus
from bot.usecases.ports import Bcbot
from bot.domain.outbox import Task, incident_subject

log = logging.getLogger("bcbot.incident")


from bot.usecases.access import load, require_lead_or_team


def _load(bot: Bcbot, incident_id: int, *, must_be_open: bool = True):
    with bot.uow(read_only=True) as uow:
        return load(bot, uow, incident_id, must_be_open=must_be_open)


# Phases --------------------------------------------------------------------------------------
def advance_phase(bot: Bcbot, *, incident_id: int, user_id: str, from_phase: str | None = None) -> IncidentState:
    """Move to the next phase; open steps are recorded as carried over. `from_phase` is the phase the
    person saw: if the incident has moved on since, nothing happens."""
    incident, plan = _load(bot, incident_id)
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
        phase = target.value
        uow.outbox.add(incident_subject(incident_id), [
            Task("phase_notice", name=f"phase:{phase}:notice", args={"phase": phase}),
            Task("post_checklist", name=f"phase:{phase}:checklist", args={"phase": phase},
                 depends_on=f"phase:{phase}:notice"),
            Task("render_incident", name=f"phase:{phase}:refresh", args={"phase": phase})], now)
        uow.commit()
    return target


def _phase_notice(bot: Bcbot, incident_id: int, *, retry: bool, phase: str) -> dict:
    incident, _ = _load(bot, incident_id, must_be_open=False)
    with bot.uow(read_only=True) as uow:
        change = next(e for e in reversed(uow.log.entries(incident_id))
                      if e.kind == "phase_changed" and e.data.get("to") == phase)
        previous = change.data["from"]
        carried = [s for s in uow.incidents.steps(incident_id, previous)
                   if s.position in set(change.data.get("carried_over") or [])]
    text = render_incident.phase_changed_text(incident, previous=previous, phase=phase, by=change.actor,
                                              carried_over=carried)
    return {"ts": bot.slack.post_once(incident.channel_id, f"{incident.ref}:phase:{phase}", retry=retry, text=text)}


def _phase_checklist(bot: Bcbot, incident_id: int, *, retry: bool, phase: str) -> dict:
    incident, plan = _load(bot, incident_id, must_be_open=False)
    return {"pages": post_phase_checklist(bot, incident, plan, retry=retry, phase=phase)}


def _phase_refresh(bot: Bcbot, incident_id: int, *, retry: bool, phase: str) -> dict:
    incident, plan = _load(bot, incident_id, must_be_open=False)
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
