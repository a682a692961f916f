"""Outbox tasks of the checklist: post a phase's checklist, render the checklist messages and the header."""
from __future__ import annotations

from bot.bcbot import Bcbot
from bot.domain.plan import Plan
from bot.domain.records import Incident, Step, carried_over, phase_starts
from bot.slack import blocks
from bot.slack.recovery_blocks import service_blocks
from bot.slack.role_blocks import roles_field
from bot.usecases.access import plan_of
from bot.worker.outbox import TaskContext


def post_phase_checklist(bot: Bcbot, incident: Incident, plan: Plan, *, retry: bool = False,
                         phase: str | None = None) -> int:
    """Post a phase's checklist (default: the current one), one message per page; pages already
    posted (recorded, or found by their key after a lost reply) are not posted again."""
    phase = phase or incident.state.value
    assert incident.channel_id
    with bot.uow(read_only=True) as uow:
        all_steps = uow.incidents.steps(incident.id)
        started = phase_starts(incident, uow.log.phase_changes(incident.id))
        posted = uow.incidents.checklist_messages(incident.id, phase)
    steps = [s for s in all_steps if s.phase == phase]
    pages = blocks.checklist_pages(incident, plan, phase, steps, now=bot.clock(), started=started,
                                   carried=_carried(incident, phase, all_steps, started))
    text = blocks.checklist_text(incident, plan, phase, steps)
    for number, page in enumerate(pages, start=1):
        if number in posted:
            continue
        key = f"{incident.ref}:checklist:{phase}:{number}"
        ts = bot.slack.post_once(incident.channel_id, key, retry=retry, text=text, blocks=page)
        with bot.uow() as uow:
            uow.incidents.add_checklist_message(incident.id, phase, number, incident.channel_id, ts)
            uow.commit()
    return len(pages)


def render_messages(bot: Bcbot, incident_id: int, phases: list[str], *, header: bool) -> None:
    """Re-render a phase's checklist page(s) and the header in place, from the database as it is now."""
    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(incident_id)
        plan = plan_of(bot, uow, incident.plan_version_id)
        all_steps = uow.incidents.steps(incident_id)
        started = phase_starts(incident, uow.log.phase_changes(incident_id))
        messages = {phase: uow.incidents.checklist_messages(incident_id, phase) for phase in phases}
        roles = roles_field(uow.roles.of_incident(incident_id)) if header else None
        services = service_blocks(incident, uow.recovery.of_incident(incident_id), bot.clock()) if header else None
    for phase in phases:
        if not messages[phase]:
            continue
        steps = [s for s in all_steps if s.phase == phase]
        pages = blocks.checklist_pages(incident, plan, phase, steps, now=bot.clock(), started=started,
                                       carried=_carried(incident, phase, all_steps, started))
        text = blocks.checklist_text(incident, plan, phase, steps)
        # Every page heading shows progress, so a change re-renders all pages of the phase.
        for number, page_blocks in enumerate(pages, start=1):
            if number in messages[phase]:
                channel, ts = messages[phase][number]
                bot.slack.update(channel, ts, text=text, blocks=page_blocks)
    if header and incident.header_ts and incident.channel_id:
        bot.slack.update(incident.channel_id, incident.header_ts, text=blocks.header_text(incident, plan),
                         blocks=blocks.header_blocks(incident, plan, all_steps, roles, services))


def _carried(incident: Incident, phase: str, steps: list[Step], started: dict) -> list[Step]:
    """The current phase's checklist also shows earlier phases' steps still to do (see records.carried_over)."""
    if phase != incident.state.value or phase not in started:
        return []
    return carried_over(steps, phase, started[phase])


def post_checklist(ctx: TaskContext) -> dict:
    """The checklist of a new phase (`phase`), or of the first phase at activation."""
    incident, plan = ctx.incident_and_plan()
    return {"pages": post_phase_checklist(ctx.bot, incident, plan, retry=ctx.retry, phase=ctx.args.get("phase"))}


def render_checklist(ctx: TaskContext) -> dict:
    render_messages(ctx.bot, int(ctx.subject_id), [ctx.args["phase"]], header=False)
    return {}


def render_header(ctx: TaskContext) -> dict:
    render_messages(ctx.bot, int(ctx.subject_id), [], header=True)
    return {}
