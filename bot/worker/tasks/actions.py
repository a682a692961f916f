"""Outbox tasks of corrective actions (subject `action:<id>`): the owner's DM when an action is given to them,
the action's card in its incident channel (posted once, then edited in place), and the DM whose button was
pressed, which then says what became of the action. Posts are keyed and looked for on a retry."""
from __future__ import annotations

import logging

from bot.domain.actions import Action, ActionStatus
from bot.domain.errors import SlackUnavailable
from bot.domain.reminders import local_today
from bot.slack import action_blocks as render
from bot.worker.outbox import TaskContext

log = logging.getLogger("bcbot.actions")


def _action(ctx: TaskContext) -> Action:
    with ctx.bot.uow(read_only=True) as uow:
        return uow.actions.get(int(ctx.subject_id))


def _today(ctx: TaskContext):
    return local_today(ctx.bot.clock(), ctx.bot.settings.timezone)


def plan_title(bot, plan_key: str) -> str:
    plan = bot.plans.plans.get(plan_key)
    return plan.title if plan else plan_key


def given_dm(ctx: TaskContext) -> dict:
    """The owner hears the action is theirs, with Done / New date / Drop (once: keyed)."""
    action = _action(ctx)
    owner = ctx.args["owner"]
    if action.status is not ActionStatus.OPEN or action.owner != owner:
        return {"skipped": "closed or given to someone else meanwhile"}
    channel = ctx.bot.slack.open_dm(owner)
    today = _today(ctx)
    ts = ctx.bot.slack.post_once(channel, f"{ctx.task.subject}:{ctx.task.name}", retry=ctx.retry,
                                 text=render.given_text(action, today),
                                 blocks=render.given_blocks(action, plan_title=plan_title(ctx.bot, action.plan_key),
                                                            by=ctx.args.get("by") or action.created_by, today=today))
    return {"channel": channel, "ts": ts}


def card(ctx: TaskContext) -> dict:
    """The action's card in its incident channel, as the register has it now (re-armed on every change)."""
    action = _action(ctx)
    if action.source.incident_id is None:
        return {"skipped": "no incident"}
    with ctx.bot.uow(read_only=True) as uow:
        channel = action.card_channel or uow.incidents.get(action.source.incident_id).channel_id
    if channel is None:
        return {"skipped": "no channel"}
    today = _today(ctx)
    text, blocks = render.card_text(action), render.card_blocks(action, today)
    if action.card_ts:
        ctx.bot.slack.update(channel, action.card_ts, text=text, blocks=blocks)
        return {"channel": channel, "ts": action.card_ts}
    ts = ctx.bot.slack.post_once(channel, f"{action.ref}:card", retry=ctx.retry, text=text, blocks=blocks)
    with ctx.bot.uow() as uow:
        uow.actions.set_card(action.id, channel=channel, ts=ts)
        uow.commit()
    return {"channel": channel, "ts": ts}


def outcome(ctx: TaskContext) -> dict:
    """The DM (or card) whose button was pressed says what became of the action. A message Slack will not
    edit any more (deleted, too old) is left as it is."""
    from bot.slack.api import surely_not_delivered

    action = _action(ctx)
    message = ctx.args["message"]
    if message["channel"] == action.card_channel and message["ts"] == action.card_ts:
        return {"skipped": "the card is re-rendered"}
    try:
        ctx.bot.slack.update(message["channel"], message["ts"], text=render.outcome_text(action),
                             blocks=render.outcome_blocks(action, by=ctx.args["by"], today=_today(ctx)))
    except SlackUnavailable as err:
        if not surely_not_delivered(err):
            raise
        log.info("action message %s/%s was not updated: %s", message["channel"], message["ts"], err)
        return {"updated": 0}
    return {"updated": 1}


TASKS = {"action_given_dm": given_dm, "action_card": card, "action_message": outcome}
