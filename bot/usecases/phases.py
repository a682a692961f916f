"""Use cases of phase changes, and the job that shows steps falling overdue."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.commands import AdvancePhase
from bot.domain.errors import BcbotError
from bot.domain.incident import STATE_LABELS, IncidentEvent, IncidentState, next_state
from bot.domain.outbox import Task, incident_subject
from bot.domain.records import StepStatus
from bot.usecases import effects, roles
from bot.usecases.access import load, require_lead_or_team
from bot.usecases.ports import Parts, UnitOfWork

FIRST_OVERDUE_LOOK_BACK = timedelta(days=1)


def advance_phase(bot: Parts, uow: UnitOfWork, command: AdvancePhase, *, actor: str) -> IncidentState:
    """Move to the next phase; open steps are recorded as carried over. `from_phase` is the phase the
    person saw: if the incident has moved on since, nothing happens and they are told."""
    incident_id, from_phase = command.incident_id, command.from_phase
    incident, plan = load(bot, uow, incident_id)
    require_lead_or_team(bot, incident, plan, actor, "change the phase of")
    if from_phase and from_phase != incident.state.value:
        raise BcbotError(f"{incident.ref} has already moved on to {STATE_LABELS[incident.state].lower()}.")
    target = next_state(incident.state, IncidentEvent.ADVANCE_PHASE)
    now = bot.clock()
    carried = [s for s in uow.incidents.steps(incident_id, incident.state.value) if s.status is StepStatus.OPEN]
    if not uow.incidents.transition(incident_id, from_=incident.state, to=target, now=now):
        raise BcbotError(f"{incident.ref} has already moved on from {STATE_LABELS[incident.state].lower()}.")
    uow.log.append(incident_id=incident_id, at=now, actor=actor, kind="phase_changed",
                   summary=f"Moved from {STATE_LABELS[incident.state]} to {STATE_LABELS[target]}"
                           + (f"; {len(carried)} open steps carried over" if carried else ""),
                   data={"from": incident.state.value, "to": target.value,
                         "carried_over": [s.position for s in carried]})
    phase = target.value
    uow.outbox.add(incident_subject(incident_id), [
        Task("phase_notice", name=f"phase:{phase}:notice", args={"phase": phase}, depends_on="post_header"),
        Task("post_checklist", name=f"phase:{phase}:checklist", args={"phase": phase},
             depends_on=f"phase:{phase}:notice")], now)
    roles.owe_phase_dms(uow, incident_id, phase, now)
    effects.rerender(uow, incident_id, now, phases=(incident.state.value,), topic=True)
    return target


def arm_overdue_renders(bot: Parts, uow: UnitOfWork, *, since: datetime, now: datetime) -> int:
    """Owe a render of every open checklist with a step that fell overdue in (since, now], so the flag shows."""
    armed = 0
    for incident in uow.incidents.open_incidents(200):
        steps = uow.incidents.steps(incident.id, incident.state.value)
        fell = [s for s in steps if s.status is StepStatus.OPEN and (due := s.due_at(incident.phase_started_at))
                and since < due <= now]
        if fell:
            effects.rerender(uow, incident.id, now, phases=(incident.state.value,), header=False)
            # Whoever a step is assigned to hears once that it is overdue.
            uow.outbox.add(incident_subject(incident.id), [
                Task("step_overdue_dm", name=f"overdue:{s.id}", args={"user": s.assignee, "step_id": s.id})
                for s in fell if s.assignee], now)
            armed += 1
    return armed
