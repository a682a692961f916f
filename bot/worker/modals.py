"""Use cases that open or refresh modals (slow Slack calls, run after the ack)."""
from __future__ import annotations

from bot.domain.errors import SlackUnavailable
from bot.slack import blocks
from bot.usecases.ports import Bcbot


def open_activation(bot: Bcbot, *, trigger_id: str, user_id: str, exercise: bool = False) -> None:
    plans = bot.plans.all()
    view = blocks.activation_modal(plans=plans, plan=plans[0], user_id=user_id, exercise=exercise)
    try:
        bot.slack.open_view(trigger_id=trigger_id, view=view)
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable("Slack took too long to open the form. Please run /activate again.") from err
        raise


def open_plan(bot: Bcbot, *, trigger_id: str, plan_id: str, user_id: str) -> None:
    """The View plan modal: the plan as loaded now, for anyone in the workspace."""
    from bot.slack.plan_view import plan_modal

    try:
        bot.slack.open_view(trigger_id=trigger_id, view=plan_modal(bot.plans.get(plan_id)))
    except SlackUnavailable as err:
        if "expired_trigger_id" in str(err):
            raise SlackUnavailable("Slack took too long to open the plan. Please press View plan again.") from err
        raise


def switch_plan(bot: Bcbot, *, view_id: str, view_hash: str | None, plan_id: str, user_id: str, exercise: bool) -> None:
    plan = bot.plans.get(plan_id)
    view = blocks.activation_modal(plans=bot.plans.all(), plan=plan, user_id=user_id, exercise=exercise)
    bot.slack.update_view(view_id=view_id, view=view, hash=view_hash)


def open_step_modal(bot: Bcbot, *, trigger_id: str, step_id: int, op: str) -> None:
    from bot.slack import incident_blocks as render_incident
    from bot.usecases.checklist import open_step

    with bot.uow(read_only=True) as uow:
        step, _ = open_step(uow, step_id)
    view = render_incident.step_note_modal(step) if op == "note" else render_incident.step_na_modal(step)
    bot.slack.open_view(trigger_id=trigger_id, view=view)


def open_decision(bot: Bcbot, *, trigger_id: str, incident_id: int, user_id: str) -> None:
    from bot.slack import incident_blocks as render_incident
    from bot.usecases import access

    with bot.uow(read_only=True) as uow:
        incident, plan = access.load(bot, uow, incident_id)
        access.require_responder(bot, incident, plan, user_id, "log decisions")
        decisions = uow.decisions.list(incident_id)
    bot.slack.open_view(trigger_id=trigger_id, view=render_incident.decision_modal(incident, user_id=user_id,
                                                                                  decisions=decisions))


def open_decision_in_channel(bot: Bcbot, *, trigger_id: str, channel_id: str | None, user_id: str) -> None:
    """`/activate decision` with no text: the decision form of the channel's incident."""
    from bot.usecases import access

    with bot.uow(read_only=True) as uow:
        incident = access.incident_in_channel(uow, channel_id)
    open_decision(bot, trigger_id=trigger_id, incident_id=incident.id, user_id=user_id)


def open_update(bot: Bcbot, *, trigger_id: str, incident_id: int, user_id: str) -> None:
    from bot.slack import incident_blocks as render_incident
    from bot.usecases import access

    with bot.uow(read_only=True) as uow:
        incident, plan = access.load(bot, uow, incident_id)
        access.require_responder(bot, incident, plan, user_id, "post status updates")
    bot.slack.open_view(trigger_id=trigger_id, view=render_incident.update_modal(incident))


def open_stand_down(bot: Bcbot, *, trigger_id: str, incident_id: int, user_id: str) -> None:
    from bot.slack import incident_blocks as render_incident
    from bot.usecases.stand_down import check_can_stand_down

    with bot.uow(read_only=True) as uow:
        incident, open_steps = check_can_stand_down(bot, uow, incident_id=incident_id, user_id=user_id)
    bot.slack.open_view(trigger_id=trigger_id, view=render_incident.stand_down_modal(incident, open_steps=open_steps))
