"""Use cases of activation: a submitted form activates or asks the team; approve/decline. Every Slack
effect (the team's DMs, the set-up of a new incident) is owed to the outbox in the same transaction."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.domain.commands import DecideRequest, SubmitActivation
from bot.domain.errors import NotAllowed
from bot.domain.outbox import Task, incident_subject, request_subject
from bot.domain.records import RequestStatus
from bot.domain.text import OTHER_MAX, capped
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases import recovery, roles, rollcall
from bot.usecases.access import plan_of, team_ids
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.activation")

CREATE_CHANNEL = "create_channel"
# The tasks of an incident's Slack set-up, grouped by the order they can start in. There is no barrier
# between groups: each task starts as soon as the task it depends on (DEPENDS_ON) is done, so a slow
# call (a big invite, say) holds up only what needs its result.
SETUP_STAGES: tuple[tuple[str, ...], ...] = (
    (CREATE_CHANNEL,),
    ("set_topic", "invite", "post_header", "announce", "notify_people"),
    ("pin_header", "post_checklist"),
)
# Everything needs the channel; the checklist follows the header so the channel reads top to bottom.
DEPENDS_ON = {"set_topic": CREATE_CHANNEL, "invite": CREATE_CHANNEL, "post_header": CREATE_CHANNEL,
              "announce": CREATE_CHANNEL, "notify_people": CREATE_CHANNEL,
              "pin_header": "post_header", "post_checklist": "post_header"}


# Requests ------------------------------------------------------------------------------------
def submit_activation(bot: Parts, uow: UnitOfWork, command: SubmitActivation, *, actor: str) -> int | None:
    """The activation form, submitted (an intent keyed on the view: a double submit records once). A team
    member's request activates at once; anyone else's goes to the team, its DMs owed to the outbox with
    the request, in one transaction. The incident's ID when it activated."""
    form = command.form
    # Parsing capped what was typed; the record is cut as well, whatever reached it.
    form = replace(form, summary=capped(form.summary), circumstance=capped(form.circumstance, OTHER_MAX))
    plan = bot.plans.get(form.plan_id)  # NotFound, in words, if it was removed since the form opened
    now = bot.clock()
    request_id = uow.requests.add(view_id=command.view_id, plan_version_id=bot.plans.version_ids[plan.id],
                                  requested_by=actor, form=form, now=now)
    if request_id is None:  # the same form recorded before intents were keyed (an older bot's row)
        return None
    if actor in team_ids(bot, plan):
        return activate_in(bot, uow, request_id=request_id, activated_by=actor,
                           from_=(RequestStatus.RECEIVED,), to=RequestStatus.ACTIVATED)
    uow.requests.transition(request_id, from_=(RequestStatus.RECEIVED,), to=RequestStatus.PENDING)
    _owe_team_ask(uow, request_id, now)
    log.info("activation request %s is not from the team: sent to the team for approval", request_id)
    return None


def _owe_team_ask(uow: UnitOfWork, request_id: int, now: datetime) -> None:
    uow.outbox.add(request_subject(request_id), [Task("ask_team")], now)


def decide_request(bot: Parts, uow: UnitOfWork, command: DecideRequest, *, actor: str) -> int | None:
    """A team member approves (activating) or declines (an intent: a replayed click decides once). Only
    the first decision counts; the decision, the incident and everything they owe Slack (the team's DMs
    marked decided, the requester told on a decline, the incident's set-up) are one transaction."""
    request_id, approve = command.request_id, command.approve
    request = uow.requests.get(request_id)
    plan = plan_of(bot, uow, request.plan_version_id)
    if actor not in team_ids(bot, plan):
        raise NotAllowed(f"Only the Business Continuity Team for {safe(plan.title, 200)} can approve or decline "
                         "activation requests.")
    now = bot.clock()
    incident_id = None
    if approve:
        incident_id = activate_in(bot, uow, request_id=request_id, activated_by=request.requested_by,
                                  approved_by=actor, from_=(RequestStatus.PENDING,), to=RequestStatus.APPROVED)
        decided = incident_id is not None
    else:
        decided = uow.requests.transition(request_id, from_=(RequestStatus.PENDING,), to=RequestStatus.DECLINED,
                                          by=actor, now=now)
    if not decided:
        request = uow.requests.get(request_id)
        who = user_mention(request.decided_by) if request.decided_by else "someone"
        raise NotAllowed(f"This request was already {request.status.value} by {who}.")
    uow.outbox.add(request_subject(request_id), [Task("request_decided", depends_on="ask_team", args={
        "approve": approve, "by": actor, "incident_id": incident_id})], now)
    return incident_id


# Activation ----------------------------------------------------------------------------------
def activate_in(bot: Parts, uow: UnitOfWork, *, request_id: int, activated_by: str, from_: tuple[RequestStatus, ...],
                to: RequestStatus, approved_by: str | None = None) -> int | None:
    """Record the incident, its checklist, the log entry and its Slack set-up (outbox tasks) in the
    caller's transaction. None when another caller already activated (or decided) this request."""
    now = bot.clock()
    if not uow.requests.transition(request_id, from_=from_, to=to, by=approved_by or activated_by, now=now):
        return None
    request = uow.requests.get(request_id)
    plan = plan_of(bot, uow, request.plan_version_id)
    incident_id = uow.incidents.add(request=request, plan=plan, activated_by=activated_by,
                                    approved_by=approved_by, now=now)
    what = "Exercise started" if request.form.is_exercise else "Plan activated"
    uow.log.append(incident_id=incident_id, at=now, actor=approved_by or activated_by, kind="activated",
                   summary=f"{what}: {request.form.circumstance}",
                   data={"requested_by": activated_by, "approved_by": approved_by, "summary": request.form.summary,
                         "services": list(request.form.services), "lead": request.form.lead_user_id,
                         "disrupted_at": (request.form.disrupted_at or request.created_at).isoformat(),
                         "plan_version": uow.plans.content_hash(request.plan_version_id)})
    names = [t for stage in SETUP_STAGES for t in stage if t != "announce" or bot.settings.bcbot_announce_channel]
    tasks = [Task(t, depends_on=DEPENDS_ON.get(t)) for t in names]
    if approved_by:  # the team's approval DMs get the new channel's link once it exists
        tasks.append(Task("link_approvals", depends_on=CREATE_CHANNEL, args={"request_id": request_id}))
    uow.outbox.add(incident_subject(incident_id), tasks, now)
    roles.give_out(bot, uow, incident_id, plan, lead=request.form.lead_user_id, now=now)
    recovery.start(uow, uow.incidents.get(incident_id), plan, request.form.services, by=approved_by or activated_by,
                   now=now)
    if request.form.roll_call:  # its DMs go out at once; its tally waits for the channel
        rollcall.start(bot, uow, plan=plan, plan_version_id=request.plan_version_id, incident_id=incident_id,
                       is_drill=request.form.is_exercise, started_by=approved_by or activated_by,
                       lead_user_id=request.form.lead_user_id, now=now)
    log.info("activated incident %s from request %s", incident_id, request_id)
    return incident_id
