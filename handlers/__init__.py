"""Thin Slack listeners, one module per surface. Each acks, parses, calls one use case."""
from __future__ import annotations

from typing import Callable

from bot.runtime import Bcbot


def teller(bot: Bcbot, body: dict) -> Callable[[str], None]:
    """How to tell this person something after the ack: the response_url if there is one, else a DM."""
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url:
        return lambda text: bot.slack.respond(response_url, text)
    user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id")
    return lambda text: bot.slack.dm(user, text=text)
