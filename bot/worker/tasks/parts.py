"""Outbox tasks of "know your part" (subject `parts:<plan ID>`): each person's card, posted to their user ID,
paced (a 429 reschedules the task, no thread sleeps) and keyed (a retry after a lost answer looks in their DM
before posting again); and the card replaced in place once they press Got it."""
from __future__ import annotations

import logging

from bot.bcbot import Bcbot
from bot.domain.errors import SlackRefused
from bot.domain.outbox import refused_for_good
from bot.domain.parts import PartRecord, PersonPart, parts_of
from bot.domain.plan import Plan
from bot.slack import part_blocks
from bot.worker.outbox import TaskContext

log = logging.getLogger("bcbot.parts")


def _load(bot: Bcbot, plan_key: str, user: str) -> tuple[PartRecord, Plan, PersonPart | None] | None:
    """Their card's record, the plan version it shows, and the part in it (found by its hash: two people with the
    same part see the same card)."""
    with bot.uow(read_only=True) as uow:
        record = uow.plan_parts.get(plan_key, user)
        if record is None:
            return None
        version_id = record.plan_version_id
        plan = bot.plans.snapshot(version_id, lambda: uow.plans.snapshot(version_id))
    part = next((p for p in parts_of(plan) if p.digest == record.part_hash), None)
    return record, plan, part


def _known_dm(bot: Bcbot, user: str, record: PartRecord) -> str:
    """Where a post to this user's ID went before; conversations.open only if never posted to (a rare look)."""
    with bot.uow(read_only=True) as uow:
        known = uow.plan_parts.dm_channel_of(user) or uow.rollcalls.dm_channel_of(user)
    return known or bot.slack.paced_open_dm(user)


def send_card(ctx: TaskContext) -> dict:
    plan_key, user, generation = ctx.args["plan"], ctx.args["user"], int(ctx.args["generation"])
    found = _load(ctx.bot, plan_key, user)
    if found is None or found[0].generation != generation:
        return {"skipped": "a newer card is owed"}
    record, plan, part = found
    if record.sent_at is not None:
        return {"skipped": "sent before"}
    if part is None:  # cannot be: the part's hash was worked out from this very version
        log.error("plan %s version %s has no part %s", plan_key, record.plan_version_id, record.part_hash)
        return {"skipped": "no such part"}
    look_in = _known_dm(ctx.bot, user, record) if ctx.retry else None
    try:
        channel, ts = ctx.bot.slack.paced_post(user, f"parts:{plan_key}:{user}:{generation}",
                                               text=part_blocks.card_text(plan, part),
                                               blocks=part_blocks.card_blocks(plan, part), look_in=look_in)
    except SlackRefused as exc:
        if not refused_for_good(exc.code):
            raise
        with ctx.bot.uow() as uow:  # not reached (a deactivated member): the plan status says so
            uow.plan_parts.failed(plan_key, user, generation, code=exc.code)
            uow.commit()
        log.warning("plan %s: the card to %s was refused for good (%s)", plan_key, user, exc.code)
        return {"failed": exc.code}
    with ctx.bot.uow() as uow:
        uow.plan_parts.sent(plan_key, user, generation, channel=channel, ts=ts, now=ctx.bot.clock())
        uow.commit()
    return {"channel": channel, "ts": ts}


def show_acknowledged(ctx: TaskContext) -> dict:
    """Their card, replaced in place through the click's response_url: acknowledged, and when."""
    url = ctx.args.get("response_url")
    if not isinstance(url, str) or not ctx.bot.slack.is_response_url(url):
        return {"skipped": "no response_url"}
    found = _load(ctx.bot, ctx.args["plan"], ctx.args["user"])
    if found is None:
        return {"skipped": "nothing acknowledged"}
    record, plan, part = found
    if part is None or record.acked_at is None:
        return {"skipped": "nothing acknowledged"}
    if record.generation != int(ctx.args["generation"]) or not record.acknowledged(record.part_hash):
        return {"skipped": "a newer card was sent"}
    from slack_sdk.webhook import WebhookClient

    response = WebhookClient(url).send(text=part_blocks.card_text(plan, part), replace_original=True,
                                       blocks=part_blocks.card_blocks(plan, part, acknowledged_at=record.acked_at))
    return {"status": response.status_code}


TASKS = {"part_card": send_card, "part_acknowledged": show_acknowledged}
