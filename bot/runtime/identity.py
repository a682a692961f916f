"""Who the bot is (its user, workspace and enterprise), from `auth.test`, before any request is served.

Every workspace check needs the bot's own workspace. Until `auth.test` has answered, requests are
refused with words (never served unchecked) and `/healthz` says why; it is retried with a growing
pause until it answers, and only then does the worker start."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

from bot.bcbot import Bcbot

log = logging.getLogger("bcbot")
FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 30.0


@dataclass(frozen=True)
class Identity:
    user_id: str | None
    team_id: str
    enterprise_id: str | None


def ask(bot: Bcbot) -> Identity | None:
    """auth.test once: the identity, or None (logged) when Slack did not answer with a workspace."""
    try:
        found = bot.slack.auth_test()
    except Exception as err:  # SlackUnavailable, or anything the client raised
        log.error("Slack auth.test failed (%s): check SLACK_BOT_TOKEN and SLACK_API_URL; requests are refused "
                  "until it answers", str(err)[:200])
        return None
    team = found.get("team_id")
    if not isinstance(team, str) or not team:
        log.error("Slack auth.test named no workspace; requests are refused until it does")
        return None
    user, enterprise = found.get("user_id"), found.get("enterprise_id")
    return Identity(user_id=user if isinstance(user, str) else None, team_id=team,
                    enterprise_id=enterprise if isinstance(enterprise, str) and enterprise else None)


def keep_asking(bot: Bcbot, then: Callable[[Identity], None], stopping: threading.Event) -> threading.Thread:
    """Retry auth.test with a growing pause (1 s doubling to 30 s) until it answers, then `then(identity)`."""

    def run() -> None:
        pause = FIRST_PAUSE_S
        while not stopping.wait(pause):
            identity = ask(bot)
            if identity is not None:
                log.info("Slack auth.test answered: serving workspace %s", identity.team_id)
                then(identity)
                return
            pause = min(pause * 2, MAX_PAUSE_S)

    thread = threading.Thread(target=run, name="bcbot-identity", daemon=True)
    thread.start()
    return thread
