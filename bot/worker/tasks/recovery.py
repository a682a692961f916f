"""Outbox tasks of affected services' recovery: the lead's nudge in the incident channel when a service's
clock passes a mark (75% of its RTO, the RTO, the MTPD)."""
from __future__ import annotations

from bot.domain.recovery import Mark
from bot.slack import recovery_blocks
from bot.worker.outbox import TaskContext, TaskFunction


def post_recovery_mark(ctx: TaskContext) -> dict:
    incident, _ = ctx.incident_and_plan()
    with ctx.bot.uow(read_only=True) as uow:
        service = uow.recovery.get(int(ctx.args["service_id"]))
    mark = Mark(ctx.args["mark"])
    if not incident.channel_id:
        return {}
    ts = ctx.bot.slack.post_once(incident.channel_id, f"{incident.ref}:{ctx.task.name}", retry=ctx.retry,
                                 text=recovery_blocks.mark_text(incident, service, mark),
                                 blocks=recovery_blocks.mark_blocks(incident, service, mark))
    return {"ts": ts}


TASKS: dict[str, TaskFunction] = {"post_recovery_mark": post_recovery_mark}
