"""Work bound to Slack's trigger or view, run by the worker at once after the ack: opening a form,
turning one, publishing App Home, running a recorded intent, telling a person. None of it changes what
bcbot records (a form's submission is a recorded command), so it is never stored: each request type
(bot.domain.commands.ViewRequest) has one function here, found by its type in `VIEWS`."""
from __future__ import annotations

import logging
from functools import partial
from typing import Any, Callable, Mapping

from bot.bcbot import Bcbot
from bot.domain.commands import (
    OpenActivation,
    OpenDecisionInChannel,
    OpenIncidentForm,
    OpenPlan,
    OpenRecordTest,
    OpenStepForm,
    PublishHome,
    ReplyTo,
    RunIntent,
    StartExercise,
    SwitchPlan,
    Tell,
    ViewRequest,
)
from bot.domain.errors import NotFound
from bot.domain.reminders import local_today
from bot.slack import incident_blocks, plan_blocks
from bot.slack.mrkdwn import safe
from bot.slack.plan_view import plan_modal
from bot.usecases import access
from bot.usecases import reads as queries
from bot.usecases.checklist import open_step
from bot.usecases.governance import governance_of, require_steward
from bot.worker import action_views, recovery_views
from bot.worker.forms import activation_form, open_form, stand_down_form
from bot.worker.intents import process_intent

log = logging.getLogger("bcbot.views")


def open_activation(bot: Bcbot, request: OpenActivation) -> None:
    view = activation_form(bot, bot.plans.all()[0], request.user_id, exercise=request.exercise)
    open_form(bot, request.trigger_id, view, again="run /activate")


def switch_plan(bot: Bcbot, request: SwitchPlan) -> None:
    view = activation_form(bot, bot.plans.get(request.plan_id), request.user_id, exercise=request.exercise)
    bot.slack.update_view(view_id=request.view_id, view=view, hash=request.view_hash)


def open_plan(bot: Bcbot, request: OpenPlan) -> None:
    """The View plan modal: the plan as loaded now, for anyone in the workspace."""
    open_form(bot, request.trigger_id, plan_modal(bot.plans.get(request.plan_id)), again="press View plan")


def open_step_form(bot: Bcbot, request: OpenStepForm) -> None:
    with bot.uow(read_only=True) as uow:
        step, _ = open_step(uow, request.step_id)
    view = incident_blocks.step_note_modal(step) if request.op == "note" else incident_blocks.step_na_modal(step)
    open_form(bot, request.trigger_id, view, again="press the step's menu")


def open_incident_form(bot: Bcbot, request: OpenIncidentForm) -> None:
    """One of the header's forms, for the people allowed to use it."""
    incident_id, user_id = request.incident_id, request.user_id
    with bot.uow(read_only=True) as uow:
        if request.form == "stand_down":
            view = stand_down_form(bot, uow, incident_id, user_id)
        elif request.form == "update":
            incident, plan = access.load(bot, uow, incident_id)
            access.require_responder(bot, incident, plan, user_id, "post status updates")
            view = incident_blocks.update_modal(incident)
        else:
            incident, plan = access.load(bot, uow, incident_id)
            access.require_responder(bot, incident, plan, user_id, "log decisions")
            view = incident_blocks.decision_modal(incident, user_id=user_id, decisions=uow.decisions.list(incident_id))
    open_form(bot, request.trigger_id, view, again="press the button")


def open_decision_in_channel(bot: Bcbot, request: OpenDecisionInChannel) -> None:
    with bot.uow(read_only=True) as uow:
        incident = access.incident_in_channel(uow, request.channel_id)
    open_incident_form(bot, OpenIncidentForm(trigger_id=request.trigger_id, incident_id=incident.id,
                                             user_id=request.user_id, form="decision"))


def open_record_test(bot: Bcbot, request: OpenRecordTest) -> None:
    """The "Record test" button: a modal to start an exercise or record a test held outside Slack."""
    plan = bot.plans.get(request.plan_id)
    require_steward(bot, plan, request.user_id, "record its tests")
    with bot.uow(read_only=True) as uow:
        gov = governance_of(uow, plan)
    if gov.next_test is None:
        raise NotFound(f"bcbot has no test date for {safe(plan.title, 150)} yet; try again in a minute.")
    view = plan_blocks.record_test_modal(plan, today=local_today(bot.clock(), bot.settings.timezone),
                                         next_test=gov.next_test)
    open_form(bot, request.trigger_id, view, again="press Record test")


def start_exercise(bot: Bcbot, request: StartExercise) -> None:
    """"Start an exercise" in the record-test modal: it becomes the activation form in exercise mode
    (views.update needs no trigger_id). Submitting it runs the normal activation flow."""
    view = activation_form(bot, bot.plans.get(request.plan_id), request.user_id, exercise=True)
    bot.slack.update_view(view_id=request.view_id, view=view, hash=request.view_hash)


def publish_home(bot: Bcbot, request: PublishHome) -> None:
    bot.slack.publish_home(user_id=request.user_id, view=queries.home(bot, request.page, request.user_id))


def run_intent(bot: Bcbot, request: RunIntent) -> None:
    process_intent(bot, intent_id=request.intent_id, from_intake=request.from_intake)


def tell(bot: Bcbot, reply_to: ReplyTo | None, text: str) -> None:
    """Tell the person who acted: their response_url, else a DM."""
    if reply_to and reply_to.response_url:
        bot.slack.respond(reply_to.response_url, text)
    elif reply_to and reply_to.user_id:
        bot.slack.dm(reply_to.user_id, text=text)
    else:
        log.info("could not tell anyone: %s", text)


VIEWS: Mapping[type[ViewRequest], Callable[[Bcbot, Any], None]] = {
    RunIntent: run_intent,
    OpenActivation: open_activation,
    SwitchPlan: switch_plan,
    OpenPlan: open_plan,
    OpenStepForm: open_step_form,
    OpenIncidentForm: open_incident_form,
    OpenDecisionInChannel: open_decision_in_channel,
    OpenRecordTest: open_record_test,
    StartExercise: start_exercise,
    PublishHome: publish_home,
    **action_views.VIEWS,
    **recovery_views.VIEWS,
}


def run(bot: Bcbot, request: ViewRequest, reply_to: ReplyTo | None, urgent: bool) -> None:
    """Run `request` on this process's threads (`urgent`: a trigger ID's 3 s are running); a failure is
    told to the person in words."""
    if isinstance(request, Tell):
        bot.background.submit(partial(tell, bot, reply_to, request.text))
        return
    if isinstance(request, RunIntent):  # a lane of its own: never behind a backlog of outbox tasks
        bot.background.submit(partial(run_intent, bot, request), intents=True)
        return
    bot.background.submit(partial(VIEWS[type(request)], bot, request),
                          tell=partial(tell, bot, reply_to) if reply_to else None, urgent=urgent)
