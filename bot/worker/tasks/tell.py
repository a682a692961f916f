"""Telling a person the outcome of what they asked for: their response_url, else a keyed DM."""
from __future__ import annotations

from bot.worker.outbox import TaskContext


def tell(ctx: TaskContext) -> dict:
    response_url, user_id, text = ctx.args.get("response_url"), ctx.args.get("user_id"), ctx.args["text"]
    if response_url:
        ctx.bot.slack.respond(response_url, text)
        return {"via": "response_url"}
    if user_id:
        channel = ctx.bot.slack.open_dm(user_id)
        return {"ts": ctx.bot.slack.post_once(channel, f"{ctx.task.subject}:{ctx.task.name}", retry=ctx.retry,
                                              text=text)}
    return {}
