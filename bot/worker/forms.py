"""Opening a form (views.open) from the worker's view requests: one way for every form; and the forms more than
one request builds."""
from __future__ import annotations

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable
from bot.domain.plan import Plan
from bot.domain.reminders import local_today
from bot.slack import blocks, incident_blocks
from bot.slack.recovery_blocks import disrupted_input, recovered_inputs
from bot.usecases.ports import UnitOfWork
from bot.usecases.stand_down import check_can_stand_down


def open_form(bot: Bcbot, trigger_id: str, view: dict, *, again: str) -> None:
    """views.open; a trigger ID that expired while Slack was slow is said in words (what to press again)."""
    try:
        bot.slack.open_view(trigger_id=trigger_id, view=view)
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable(f"Slack took too long to open the form. Please {again} again.") from err
        raise


def activation_form(bot: Bcbot, plan: Plan, user_id: str, *, exercise: bool) -> dict:
    """The activation modal for `plan`, its "when did the disruption start" set to now."""
    return blocks.activation_modal(plans=bot.plans.all(), plan=plan, user_id=user_id, exercise=exercise,
                                   disrupted=disrupted_input(bot.clock()))


def stand_down_form(bot: Bcbot, uow: UnitOfWork, incident_id: int, user_id: str, *, rows: int = 2) -> dict:
    """The stand-down modal, for someone who may stand the incident down, with each affected service's
    "recovered at"."""
    incident, open_steps = check_can_stand_down(bot, uow, incident_id=incident_id, user_id=user_id)
    return incident_blocks.stand_down_modal(incident, open_steps=open_steps, rows=rows,
                                            today=local_today(bot.clock(), bot.settings.timezone),
                                            recovered=recovered_inputs(uow.recovery.of_incident(incident.id),
                                                                       bot.clock()))
