"""Use cases of the interactive checklist: mark steps done, not applicable or open again, assign them, note them."""
from __future__ import annotations

from bot.domain.commands import SetStep, SetStepDetail
from bot.domain.errors import IncidentStoodDown, InvalidInput
from bot.domain.incident import is_open
from bot.domain.outbox import Task, incident_subject
from bot.domain.records import Incident, Step, StepStatus
from bot.domain.text import REASON_MAX, capped
from bot.slack.ids import Input
from bot.usecases import effects
from bot.usecases.ports import Parts, UnitOfWork

_VERBS = {StepStatus.DONE: ("done", "done"), StepStatus.OPEN: ("reopened", "reopened"),
          StepStatus.NOT_APPLICABLE: ("na", "marked not applicable")}


def set_step(bot: Parts, uow: UnitOfWork, command: SetStep, *, actor: str) -> bool:
    """Mark a step done, not applicable (with a reason) or open again; the checklist and header are
    re-rendered from this commit. A second identical click changes nothing and logs nothing."""
    step_id, new_status = command.step_id, command.status
    why = capped(command.reason, REASON_MAX)
    if new_status is StepStatus.NOT_APPLICABLE and not why:
        raise InvalidInput("Say why the step does not apply.", {Input.TEXT.value: "Give a reason."})
    now = bot.clock()
    step, incident = open_step(uow, step_id)
    changed = uow.incidents.set_step_status(step_id, status=new_status, by=actor, now=now, na_reason=why or None)
    if changed:
        verb, words = _VERBS[new_status]
        uow.log.append(incident_id=incident.id, at=now, actor=actor, kind=f"step_{verb}",
                       summary=f"Step {step.position} ({step.phase}) {words}: {step.title}" + (f" — {why}" if why else ""),
                       data={"step_id": step.id, "phase": step.phase, "position": step.position,
                             **({"reason": why} if why else {})})
        effects.rerender(uow, incident.id, now, phases=_shown_in(step, incident))
    return changed


def set_step_detail(bot: Parts, uow: UnitOfWork, command: SetStepDetail, *, actor: str) -> bool:
    """Assign a step to someone, or set its note. Logged with who and when."""
    step_id, assignee, note = command.step_id, command.assignee, command.note
    now = bot.clock()
    step, incident = open_step(uow, step_id)
    data: dict[str, str | None]
    if assignee is not None:
        changed = uow.incidents.set_step_detail(step_id, assignee=assignee)
        kind, summary, data = "step_assigned", f"Step {step.position} ({step.phase}) assigned to {assignee}", {"assignee": assignee}
    else:
        text = capped(note) or None
        changed = uow.incidents.set_step_detail(step_id, note=text)
        kind, summary, data = "step_note", f"Note on step {step.position} ({step.phase}): {text or '(removed)'}", {"note": text}
    if changed:
        uow.log.append(incident_id=incident.id, at=now, actor=actor, kind=kind, summary=summary,
                       data={"step_id": step.id, "phase": step.phase, "position": step.position, **data})
        effects.rerender(uow, incident.id, now, phases=_shown_in(step, incident), header=False)
        if assignee is not None and assignee != actor:  # told, with a link to the checklist
            uow.outbox.add(incident_subject(incident.id), [Task("step_assigned_dm", name=f"assigned:{step.id}:"
                           f"{assignee}:{now.isoformat()}", args={"user": assignee, "step_id": step.id, "by": actor})],
                           now)
    return changed


def _shown_in(step: Step, incident: Incident) -> tuple[str, ...]:
    """The checklists a step is shown in: its phase's, and the current phase's when carried over into it."""
    return tuple(dict.fromkeys((step.phase, incident.state.value)))


def open_step(uow: UnitOfWork, step_id: int) -> tuple[Step, Incident]:
    step = uow.incidents.step(step_id)  # NotFound if it does not exist; a database error is not that
    incident = uow.incidents.get(step.incident_id)
    if not is_open(incident.state):
        raise IncidentStoodDown(incident.ref)
    return step, incident
