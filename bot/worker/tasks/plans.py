"""Telling a plan's owners about its file: broken (bcbot keeps the last valid version), and valid again."""
from __future__ import annotations

from bot.worker.outbox import TaskContext


def tell_plan_owners(ctx: TaskContext) -> dict:
    """A keyed DM to each owner of the plan version named (the one served), so a retry posts nobody twice."""
    version_id = int(ctx.args["version_id"])
    with ctx.bot.uow(read_only=True) as uow:
        plan = ctx.bot.plans.snapshot(version_id, lambda: uow.plans.snapshot(version_id))
    told = []
    for user_id in ctx.bot.directory.user_ids(plan.owners):
        channel = ctx.bot.slack.open_dm(user_id)
        ctx.bot.slack.post_once(channel, f"{ctx.task.subject}:{ctx.task.name}:{user_id}", retry=ctx.retry,
                                text=ctx.args["text"])
        told.append(user_id)
    return {"told": told}
