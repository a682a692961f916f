"""Use case: publish a person's App Home (after the ack; a slow Slack call)."""
from __future__ import annotations

from bot.slack.home_blocks import HomePage
from bot.usecases import reads as queries
from bot.usecases.ports import Bcbot


def publish_home(bot: Bcbot, *, user_id: str, page: HomePage | None = None) -> None:
    bot.slack.publish_home(user_id=user_id, view=queries.home(bot, page))
