"""The record-test modal: opened, or turned into the activation form of an exercise, after the ack.
Neither changes anything bcbot records (the modal's submission is an intent: record_test), so they
run as deferred calls bound to Slack's trigger or view, like bot/worker/modals.py."""
from __future__ import annotations

from bot.domain.errors import NotFound, SlackUnavailable
from bot.domain.reminders import local_today
from bot.slack import blocks
from bot.slack import plan_blocks as render
from bot.usecases.governance import governance_of, require_steward
from bot.usecases.ports import Bcbot


def open_record_test(bot: Bcbot, *, plan_id: str, user_id: str, trigger_id: str) -> None:
    """The "Record test" button: a modal to start an exercise or record a test held outside Slack."""
    plan = bot.plans.get(plan_id)
    require_steward(bot, plan, user_id, "record its tests")
    with bot.uow(read_only=True) as uow:
        gov = governance_of(uow, plan)
    if gov.next_test is None:
        raise NotFound(f"bcbot has no test date for {plan.title} yet; try again in a minute.")
    view = render.record_test_modal(plan, today=local_today(bot.clock(), bot.settings.timezone),
                                    next_test=gov.next_test)
    try:
        bot.slack.open_view(trigger_id=trigger_id, view=view)
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable("Slack took too long to open the form. Please press Record test again.") from err
        raise


def start_exercise(bot: Bcbot, *, plan_id: str, user_id: str, view_id: str, view_hash: str | None) -> None:
    """"Start an exercise" in the record-test modal: it becomes the activation form in exercise mode
    (views.update needs no trigger_id). Submitting it runs the normal activation flow."""
    plan = bot.plans.get(plan_id)
    view = blocks.activation_modal(plans=bot.plans.all(), plan=plan, user_id=user_id, exercise=True)
    bot.slack.update_view(view_id=view_id, view=view, hash=view_hash)
