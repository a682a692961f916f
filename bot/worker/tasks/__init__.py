"""Every outbox task kind the worker can run (`outbox.kind`), in one table."""
from __future__ import annotations

from typing import Callable

from bot.usecases import activation, phases, stand_down
from bot.usecases.checklist import render_messages
from bot.worker.outbox import TaskContext, TaskFunction
from bot.worker.tasks import incident, tell


def _legacy(function: Callable[..., dict]) -> TaskFunction:
    """A set-up or phase task written as (bot, incident_id, *, retry, **args)."""
    return lambda ctx: function(ctx.bot, int(ctx.subject_id), retry=ctx.retry, **ctx.args)


def _post_checklist(ctx: TaskContext) -> dict:
    if "phase" in ctx.args:  # a phase change's new checklist
        return phases.PHASE_TASKS["checklist"](ctx.bot, int(ctx.subject_id), retry=ctx.retry, phase=ctx.args["phase"])
    return activation.TASKS["post_checklist"](ctx.bot, int(ctx.subject_id), retry=ctx.retry)


def _render_checklist(ctx: TaskContext) -> dict:
    render_messages(ctx.bot, int(ctx.subject_id), [ctx.args["phase"]], header=False)
    return {}


def _render_header(ctx: TaskContext) -> dict:
    render_messages(ctx.bot, int(ctx.subject_id), [], header=True)
    return {}


TASKS: dict[str, TaskFunction] = {
    **{name: _legacy(function) for name, function in activation.TASKS.items()},
    "post_checklist": _post_checklist,
    "phase_notice": _legacy(phases.PHASE_TASKS["notice"]),
    "render_incident": _legacy(phases.PHASE_TASKS["refresh"]),
    "render_checklist": _render_checklist,
    "render_header": _render_header,
    "render_announcement": lambda ctx: stand_down.render_announcement(ctx.bot, int(ctx.subject_id)),
    "post_decision": incident.post_decision,
    "post_update": incident.post_update,
    "post_nudge": incident.post_nudge,
    "ephemeral": incident.ephemeral,
    "tell": tell.tell,
}
