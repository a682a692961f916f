"""Use cases of activation: record a request, activate or ask the team, approve/decline, and the
Slack set-up of a new incident (run from the outbox, so a crash never leaves it half done)."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain.errors import NotAllowed, SlackUnavailable
from bot.domain.outbox import Task, incident_subject
from bot.domain.plan import Plan
from bot.domain.records import ActivationForm, ActivationRequest, RequestStatus
from bot.slack import blocks
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases.access import plan_of, team_ids
from bot.usecases.ports import Bcbot

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
MAX_NAME_SUFFIX = 50




# Requests ------------------------------------------------------------------------------------
def record_request(bot: Bcbot, *, view_id: str | None, requested_by: str, form: ActivationForm) -> int | None:
    """Runs before the ack: one fast insert, keyed on the view so a double submit records once."""
    with bot.uow() as uow:
        request_id = uow.requests.add(view_id=view_id, plan_version_id=bot.plans.version_ids[form.plan_id],
                                      requested_by=requested_by, form=form, now=bot.clock())
        uow.commit()
    return request_id


def process_request(bot: Bcbot, *, request_id: int, resume: bool = False) -> int | None:
    """After the ack: a team member's request activates; anyone else's goes to the team.

    `resume` (the sweep): a pending request whose approval DMs were never recorded (the process died
    while asking the team) is asked again, each DM looked for before it is sent."""
    with bot.uow() as uow:
        request = uow.requests.get(request_id)
        plan = plan_of(bot, uow, request.plan_version_id)
    team = team_ids(bot, plan)
    if request.status is RequestStatus.PENDING:
        if resume and not request.approval_messages:
            _ask_team(bot, request, plan, team, resume=True)
        return None
    if request.requested_by in team:
        return activate(bot, request_id=request_id, activated_by=request.requested_by,
                        from_=(RequestStatus.RECEIVED,), to=RequestStatus.ACTIVATED)
    _ask_team(bot, request, plan, team)
    return None


def _ask_team(bot: Bcbot, request: ActivationRequest, plan: Plan, team: list[str], *, resume: bool = False) -> None:
    if not resume:
        with bot.uow() as uow:
            moved = uow.requests.transition(request.id, from_=(RequestStatus.RECEIVED,), to=RequestStatus.PENDING)
            uow.commit()
        if not moved:
            return  # already handled (a retry of this job)
        log.info("activation request %s is not from the team: sent to the team for approval", request.id)
    else:
        log.info("activation request %s: asking the team again after an interruption", request.id)
    # Every DM is keyed, so a resumed ask finds the DMs that went before the crash and sends only the others.
    text, request_blocks = blocks.approval_request_text(request, plan), blocks.approval_request_blocks(request, plan)
    sent: list[tuple[str, str]] = []
    for member in team:
        try:
            channel = bot.slack.open_dm(member)
            sent.append((channel, bot.slack.post_once(channel, f"request:{request.id}:approval:{member}", retry=resume,
                                                      text=text, blocks=request_blocks)))
        except SlackUnavailable:
            log.warning("could not send the activation request to a team member")
    with bot.uow() as uow:
        uow.requests.set_approval_messages(request.id, sent)
        uow.commit()
    names = ", ".join(p.name for p in plan.activation.team)
    if sent:
        outcome = "with_team"
        message = (f"You are not on the Business Continuity Team for *{safe(plan.title, 150)}*, so your request "
                   f"has gone to them for approval ({safe(names, 500)}). You will hear back here.")
    else:
        outcome = "team_unreachable"
        message = (f"Your request for *{safe(plan.title, 150)}* is recorded, but no team member could be reached in "
                   f"Slack. Call them now: {safe(names, 500)}"
                   + (f" — <{safe(plan.activation.contacts_url, 1000)}|contact details>" if plan.activation.contacts_url else ""))
    bot.slack.post_once(bot.slack.open_dm(request.requested_by), f"request:{request.id}:{outcome}", retry=resume,
                        text=message)


def decide_request(bot: Bcbot, *, request_id: int, user_id: str, approve: bool) -> int | None:
    """A team member approves (activating) or declines. Only the first decision counts."""
    with bot.uow() as uow:
        request = uow.requests.get(request_id)
        plan = plan_of(bot, uow, request.plan_version_id)
    if user_id not in team_ids(bot, plan):
        raise NotAllowed(f"Only the Business Continuity Team for {plan.title} can approve or decline activation requests.")
    incident = None
    if approve:
        incident_id = activate(bot, request_id=request_id, activated_by=request.requested_by, approved_by=user_id,
                               from_=(RequestStatus.PENDING,), to=RequestStatus.APPROVED)
        if incident_id is None:
            raise NotAllowed(_already_decided(bot, request_id))
        with bot.uow() as uow:
            incident = uow.incidents.get(incident_id)
    else:
        with bot.uow() as uow:
            moved = uow.requests.transition(request_id, from_=(RequestStatus.PENDING,), to=RequestStatus.DECLINED,
                                            by=user_id, now=bot.clock())
            uow.commit()
        if not moved:
            raise NotAllowed(_already_decided(bot, request_id))
        bot.slack.dm(request.requested_by, text=f"{user_mention(user_id)} declined your request to activate "
                                                f"*{safe(plan.title, 150)}*. Talk to them if the situation changes.")
    decided = blocks.request_decided_blocks(request, plan, approved=approve, by=user_id, incident=incident)
    for channel, ts in request.approval_messages or _fresh_messages(bot, request_id):
        try:
            bot.slack.update(channel, ts, text="Activation request decided", blocks=decided)
        except SlackUnavailable:
            pass
    return incident.id if incident else None


def _fresh_messages(bot: Bcbot, request_id: int):
    with bot.uow() as uow:
        return uow.requests.get(request_id).approval_messages


def _already_decided(bot: Bcbot, request_id: int) -> str:
    with bot.uow() as uow:
        request = uow.requests.get(request_id)
    who = user_mention(request.decided_by) if request.decided_by else "someone"
    return f"This request was already {request.status.value} by {who}."


# Activation ----------------------------------------------------------------------------------
def activate(bot: Bcbot, *, request_id: int, activated_by: str, from_: tuple[RequestStatus, ...], to: RequestStatus,
             approved_by: str | None = None) -> int | None:
    """Record the incident, its checklist, the log entry and its Slack to-do in one transaction,
    then do the Slack work. Returns None when another caller already activated this request."""
    now = bot.clock()
    with bot.uow() as uow:
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
                             "plan_version": uow.plans.content_hash(request.plan_version_id)})
        names = [t for stage in SETUP_STAGES for t in stage if t != "announce" or bot.settings.bcbot_announce_channel]
        uow.outbox.add(incident_subject(incident_id), [Task(t, depends_on=DEPENDS_ON.get(t)) for t in names], now)
        uow.commit()
    log.info("activated incident %s from request %s", incident_id, request_id)
    return incident_id


UNPROCESSED_AFTER = timedelta(seconds=30)


def resume_pending_requests(bot: Bcbot) -> int:
    """Finish what a crash or an outage left half done: requests recorded at submit but never
    processed, or left pending without the team's DMs (processing is idempotent)."""
    with bot.uow(read_only=True) as uow:
        stranded = uow.requests.unprocessed(received_before=bot.clock() - UNPROCESSED_AFTER)
    for request_id in stranded:
        try:
            process_request(bot, request_id=request_id, resume=True)
        except Exception as err:
            log.warning("activation request %s still unprocessed: %s", request_id, err)
    return len(stranded)
