"""Use cases that open or refresh modals (slow Slack calls, run after the ack)."""
from __future__ import annotations

from bot import blocks
from bot.errors import SlackUnavailable
from bot.runtime import Bcbot


def open_activation(bot: Bcbot, *, trigger_id: str, user_id: str, exercise: bool = False) -> None:
    plans = bot.plans.all()
    view = blocks.activation_modal(plans=plans, plan=plans[0], user_id=user_id, exercise=exercise)
    try:
        bot.slack.open_view(trigger_id=trigger_id, view=view)
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable("Slack took too long to open the form. Please run /activate again.") from err
        raise


def switch_plan(bot: Bcbot, *, view_id: str, view_hash: str | None, plan_id: str, user_id: str, exercise: bool) -> None:
    plan = bot.plans.get(plan_id)
    view = blocks.activation_modal(plans=bot.plans.all(), plan=plan, user_id=user_id, exercise=exercise)
    bot.slack.update_view(view_id=view_id, view=view, hash=view_hash)
