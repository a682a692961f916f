"""Use cases of the interactive checklist: post a phase's checklist, mark steps done or reopen them."""
from __future__ import annotations

import logging
import threading

from bot.slack import blocks
from bot.domain.errors import IncidentStoodDown, InvalidInput
from bot.slack.ids import Input
from bot.domain.incident import is_open
from bot.domain.plan import Plan
from bot.domain.records import Incident, StepStatus
from bot.usecases.ports import Bcbot
from bot.domain.text import clean

log = logging.getLogger("bcbot.checklist")
# Re-rendering a message reads then writes; one render at a time per incident keeps the last write
# newest. A refresh asked for while one runs does not wait for it: it is queued here (phase -> header
# too?) and the running render goes round once more, reading the database afresh, so a burst of
# clicks costs a render or two, not one background worker per click waiting its turn on a slow Slack.
_render_guard = threading.Lock()
_queued_renders: dict[int, dict[str | None, bool]] = {}


def post_phase_checklist(bot: Bcbot, incident: Incident, plan: Plan, *, retry: bool = False,
                         phase: str | None = None) -> int:
    """Post a phase's checklist (default: the current one), one message per page; pages already posted
    are skipped."""
    phase = phase or incident.state.value
    with bot.uow() as uow:
        steps = uow.incidents.steps(incident.id, phase)
        posted = uow.incidents.checklist_messages(incident.id, phase)
    pages = blocks.checklist_pages(incident, plan, phase, steps, now=bot.clock())
    text = blocks.checklist_text(incident, plan, phase, steps)
    for number, page in enumerate(pages, start=1):
        if number in posted:
            continue
        key = f"{incident.ref}:checklist:{phase}:{number}"
        ts = bot.slack.find_posted(incident.channel_id, key) if retry else None
        ts = ts or bot.slack.post(incident.channel_id, text=text, blocks=page, key=key)
        with bot.uow() as uow:
            uow.incidents.add_checklist_message(incident.id, phase, number, incident.channel_id, ts)
            uow.commit()
    return len(pages)


def set_step(bot: Bcbot, *, step_id: int, user_id: str, status: StepStatus, reason: str | None = None) -> bool:
    """Mark a step done, not applicable (with a reason) or reopen it.

    A second identical click changes nothing and logs nothing.
    """
    if status is StepStatus.NOT_APPLICABLE and not (reason or "").strip():
        raise InvalidInput("Say why the step does not apply.", {Input.TEXT.value: "Give a reason."})
    now = bot.clock()
    with bot.uow() as uow:
        step, incident = _open_step(uow, step_id)
        changed = uow.incidents.set_step_status(step_id, status=status, by=user_id, now=now,
                                                na_reason=clean(reason).strip() or None)
        if changed:
            verb = {StepStatus.DONE: "done", StepStatus.OPEN: "reopened", StepStatus.NOT_APPLICABLE: "na"}[status]
            words = {"done": "done", "reopened": "reopened", "na": "marked not applicable"}[verb]
            uow.log.append(incident_id=incident.id, at=now, actor=user_id, kind=f"step_{verb}",
                           summary=f"Step {step.position} ({step.phase}) {words}: {step.title}"
                                   + (f" — {clean(reason).strip()}" if reason else ""),
                           data={"step_id": step.id, "phase": step.phase, "position": step.position,
                                 **({"reason": clean(reason).strip()} if reason else {})})
        uow.commit()
    refresh_checklist(bot, incident_id=incident.id, phase=step.phase)
    return changed


def set_step_detail(bot: Bcbot, *, step_id: int, user_id: str, assignee: str | None = None,
                    note: str | None = None) -> bool:
    """Assign a step to someone, or set its note. Logged with who and when."""
    now = bot.clock()
    with bot.uow() as uow:
        step, incident = _open_step(uow, step_id)
        if assignee is not None:
            changed = uow.incidents.set_step_detail(step_id, assignee=assignee)
            kind, summary, data = "step_assigned", f"Step {step.position} ({step.phase}) assigned to {assignee}", {"assignee": assignee}
        else:
            text = clean(note).strip() or None
            changed = uow.incidents.set_step_detail(step_id, note=text)
            kind, summary, data = "step_note", f"Note on step {step.position} ({step.phase}): {text or '(removed)'}", {"note": text}
        if changed:
            uow.log.append(incident_id=incident.id, at=now, actor=user_id, kind=kind, summary=summary,
                           data={"step_id": step.id, "phase": step.phase, "position": step.position, **data})
        uow.commit()
    refresh_checklist(bot, incident_id=incident.id, phase=step.phase)
    return changed


def step_for_modal(bot: Bcbot, step_id: int):
    with bot.uow() as uow:
        step, _ = _open_step(uow, step_id)
    return step


def _open_step(uow, step_id: int):
    step = uow.incidents.step(step_id)  # NotFound if it does not exist; a database error is not that
    incident = uow.incidents.get(step.incident_id)
    if not is_open(incident.state):
        raise IncidentStoodDown(incident.ref)
    return step, incident


def refresh_checklist(bot: Bcbot, *, incident_id: int, phase: str | None, header: bool = True) -> None:
    """Re-render a phase's checklist page(s) and the header in place, from the database.

    If a render of this incident is already running, this one is left to it (see _queued_renders)."""
    with _render_guard:
        queued = _queued_renders.get(incident_id)
        if queued is not None:
            queued[phase] = queued.get(phase, False) or header
            return
        _queued_renders[incident_id] = {}
    todo: dict[str | None, bool] = {phase: header}
    try:
        while todo:
            render_messages(bot, incident_id, [p for p in todo if p], header=any(todo.values()))
            with _render_guard:
                todo = _queued_renders[incident_id]
                if todo:
                    _queued_renders[incident_id] = {}
                else:
                    del _queued_renders[incident_id]
    except BaseException:
        with _render_guard:
            dropped = _queued_renders.pop(incident_id, None)
        if dropped:
            log.warning("incident %s: %d checklist refresh(es) queued behind a failed one were dropped",
                        incident_id, len(dropped))
        raise


def render_messages(bot: Bcbot, incident_id: int, phases: list[str], *, header: bool) -> None:
    from bot.usecases.access import plan_of

    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(incident_id)
        plan = plan_of(bot, uow, incident.plan_version_id)
        all_steps = uow.incidents.steps(incident_id)
        messages = {phase: uow.incidents.checklist_messages(incident_id, phase) for phase in phases}
    for phase in phases:
        if not messages[phase]:
            continue
        steps = [s for s in all_steps if s.phase == phase]
        pages = blocks.checklist_pages(incident, plan, phase, steps, now=bot.clock())
        text = blocks.checklist_text(incident, plan, phase, steps)
        # Every page heading shows progress, so a change re-renders all pages of the phase.
        for number, page_blocks in enumerate(pages, start=1):
            if number in messages[phase]:
                channel, ts = messages[phase][number]
                bot.slack.update(channel, ts, text=text, blocks=page_blocks)
    if header and incident.header_ts and incident.channel_id:
        bot.slack.update(incident.channel_id, incident.header_ts, text=blocks.header_text(incident, plan),
                         blocks=blocks.header_blocks(incident, plan, all_steps))
