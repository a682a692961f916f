"""Read-only views for the ack path: fast database reads, no Slack calls."""
from __future__ import annotations

from bot import blocks
from bot.runtime import Bcbot


def open_incident_lines(bot: Bcbot, limit: int = 50) -> list[str]:
    with bot.uow() as uow:
        incidents = uow.incidents.open_incidents(limit)
    return [blocks.incident_line(i, bot.plans.title(i.plan_key)) for i in incidents]


def home(bot: Bcbot) -> dict:
    return blocks.home_view(open_lines=open_incident_lines(bot, 20), plans=bot.plans.all(), tz=bot.settings.timezone)
