"""Opening a form (views.open) from the worker's view requests: one way for every form."""
from __future__ import annotations

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable


def open_form(bot: Bcbot, trigger_id: str, view: dict, *, again: str) -> None:
    """views.open; a trigger ID that expired while Slack was slow is said in words (what to press again)."""
    try:
        bot.slack.open_view(trigger_id=trigger_id, view=view)
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable(f"Slack took too long to open the form. Please {again} again.") from err
        raise
