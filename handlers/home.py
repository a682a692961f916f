"""App Home: its Activate button opens the same modal as /activate; its page buttons re-publish it."""
from __future__ import annotations

from bot.domain.commands import OpenPlan, PublishHome
from bot.slack.governance_parse import plan_id_of, trigger_of
from bot.slack.ids import Action
from bot.slack.parse import action_value, actor, home_page
from handlers import hand_over
from handlers.shortcuts import open_activation_form


def register(app) -> None:
    app.action(Action.OPEN_ACTIVATION.value)(open_activation_form)
    app.action(Action.HOME_OLDER.value)(show_page)
    app.action(Action.HOME_LATEST.value)(show_page)
    app.action(Action.VIEW_PLAN.value)(view_plan)


def view_plan(ack, body, context):
    """View plan (App Home, review reminders): the plan in a modal, for anyone."""
    person = actor(body)
    plan_id = plan_id_of(action_value(body))
    hand_over(ack, context["bcbot"], body, OpenPlan(trigger_id=trigger_of(body), plan_id=plan_id, user_id=person.user_id))


def show_page(ack, body, context):
    person = actor(body)
    page = home_page(body)  # the page lives only in the button: restart-safe
    hand_over(ack, context["bcbot"], body, PublishHome(user_id=person.user_id, page=page), urgent=False)
