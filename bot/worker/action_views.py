"""View requests of corrective actions and reviews (bot.worker.views lists them in VIEWS): an action's forms
(Done, New date, Drop, Edit), a form with one action row more (**Add action**, views.update), the
post-incident review form and the management review form."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Callable

from bot.bcbot import Bcbot
from bot.domain.action_commands import AddActionRow, OpenActionForm, OpenManagementReview, OpenPostIncidentReview
from bot.domain.actions import ActionStatus
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.reminders import local_today
from bot.slack import action_blocks, review_blocks
from bot.usecases.access import load, team_ids
from bot.usecases.actions import AlreadyClosed, require_action_steward
from bot.worker.forms import open_form, stand_down_form


def open_action_form(bot: Bcbot, request: OpenActionForm) -> None:
    with bot.uow(read_only=True) as uow:
        action = uow.actions.get(request.action_id)
    doing = {"done": "close", "drop": "drop", "new_date": "give a new date to", "edit": "change"}[request.form]
    require_action_steward(bot, action, request.user_id, doing)
    if action.status is not ActionStatus.OPEN:
        raise AlreadyClosed(f"{action.ref} is {action.status.value} already.")
    today = local_today(bot.clock(), bot.settings.timezone)
    meta: dict = {"a": action.id, "m": asdict(request.message) if request.message else None}
    builders: dict[str, Callable[[], dict]] = {
        "done": lambda: action_blocks.done_modal(action, meta),
        "drop": lambda: action_blocks.drop_modal(action, meta),
        "new_date": lambda: action_blocks.new_date_modal(action, meta, today=today),
        "edit": lambda: action_blocks.edit_modal(action, meta, today=today),
    }
    open_form(bot, request.trigger_id, builders[request.form](), again="press the button")


def _may_review(bot: Bcbot, plan, incident, user_id: str) -> None:
    if user_id not in {incident.lead_user_id, *team_ids(bot, plan), *bot.directory.user_ids(plan.owners)}:
        raise NotAllowed(f"Only the lead, the Business Continuity Team or the plan's owners can record the review "
                         f"of {incident.ref}.")


def open_post_incident_review(bot: Bcbot, request: OpenPostIncidentReview) -> None:
    with bot.uow(read_only=True) as uow:
        incident, plan = load(bot, uow, request.incident_id, must_be_open=False)
    _may_review(bot, plan, incident, request.user_id)
    view = review_blocks.post_incident_review_modal(incident, plan, rows=2,
                                                    today=local_today(bot.clock(), bot.settings.timezone))
    open_form(bot, request.trigger_id, view, again="press Post-incident review")


def open_management_review(bot: Bcbot, request: OpenManagementReview) -> None:
    view = review_blocks.management_review_modal(bot.plans.all(), rows=2,
                                                 today=local_today(bot.clock(), bot.settings.timezone))
    open_form(bot, request.trigger_id, view, again="press Record a management review")


def add_action_row(bot: Bcbot, request: AddActionRow) -> None:
    """The same form again with one row more: views.update, the rows' block IDs unchanged."""
    today = local_today(bot.clock(), bot.settings.timezone)
    if request.form == review_blocks.REVIEW_FORM:
        view = review_blocks.management_review_modal(bot.plans.all(), rows=request.rows, today=today)
    elif request.about is None:
        raise InvalidInput("This button's data is not valid; please open the form again.")
    elif request.form == review_blocks.PIR_FORM:
        with bot.uow(read_only=True) as uow:
            incident, plan = load(bot, uow, request.about, must_be_open=False)
        view = review_blocks.post_incident_review_modal(incident, plan, rows=request.rows, today=today)
    else:
        with bot.uow(read_only=True) as uow:
            view = stand_down_form(bot, uow, request.about, request.user_id, rows=request.rows)
    bot.slack.update_view(view_id=request.view_id, view=view, hash=request.view_hash)


VIEWS: dict[type, Callable[[Bcbot, Any], None]] = {
    OpenActionForm: open_action_form,
    AddActionRow: add_action_row,
    OpenPostIncidentReview: open_post_incident_review,
    OpenManagementReview: open_management_review,
}
