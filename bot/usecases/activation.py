"""Use cases of activation: record a request, activate or ask the team, approve/decline, and the
Slack set-up of a new incident (run from the outbox, so a crash never leaves it half done)."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from bot.slack import blocks
from bot.domain.errors import NotAllowed, SlackUnavailable
from bot.domain.outbox import Task, incident_subject
from bot.domain.incident import channel_name
from bot.domain.plan import Plan
from bot.domain.records import ActivationForm, ActivationRequest, Incident, RequestStatus
from bot.usecases.access import plan_of, team_ids
from bot.usecases.ports import Bcbot
from bot.slack.api import NameTaken
from bot.slack.mrkdwn import safe, user_mention

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
            sent.append((channel, _post_once(bot, channel, f"request:{request.id}:approval:{member}", retry=resume,
                                             text=text, blocks_=request_blocks)))
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
    _post_once(bot, bot.slack.open_dm(request.requested_by), f"request:{request.id}:{outcome}", retry=resume,
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


def _incident_and_plan(bot: Bcbot, incident_id: int) -> tuple[Incident, Plan]:
    with bot.uow(read_only=True) as uow:  # set-up tasks read at once; none waits for another's write lock
        incident = uow.incidents.get(incident_id)
        return incident, plan_of(bot, uow, incident.plan_version_id)


def _post_once(bot: Bcbot, channel: str, key: str, *, retry: bool, text: str, blocks_: list | None = None) -> str:
    return bot.slack.post_once(channel, key, retry=retry, text=text, blocks=blocks_)


def _create_channel(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, _ = _incident_and_plan(bot, incident_id)
    if incident.channel_id:
        # An earlier attempt created and recorded the channel, then died before the task was marked done.
        return {"channel": incident.channel_id, "name": incident.channel_name}
    on = incident.activated_at.astimezone(bot.settings.timezone).date()
    for attempt in range(1, MAX_NAME_SUFFIX + 1):
        name = channel_name(on=on, circumstance=incident.circumstance, exercise=incident.is_exercise, attempt=attempt)
        try:
            channel_id = bot.slack.create_channel(name)
        except NameTaken:
            # After a lost reply (a crash, a timeout) the channel may be ours already: a channel bcbot
            # created that no incident has claimed is this incident's.
            channel_id = _unclaimed_own_channel(bot, name) if retry else None
            if channel_id is None:
                continue
        with bot.uow() as uow:
            uow.incidents.set_fields(incident_id, channel_id=channel_id, channel_name=name)
            uow.log.append(incident_id=incident_id, at=bot.clock(), actor=None, kind="channel_created",
                           summary=f"Channel #{name} created", data={"channel": channel_id})
            uow.commit()
        return {"channel": channel_id, "name": name}
    raise SlackUnavailable("every channel name for this incident is taken")


def _unclaimed_own_channel(bot: Bcbot, name: str) -> str | None:
    found = bot.slack.find_channel(name)
    if not found or found.get("creator") != bot.bot_user_id:
        return None
    with bot.uow(read_only=True) as uow:
        taken = uow.incidents.by_channel(found["id"])
    return None if taken else found["id"]


def _set_topic(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, _ = _incident_and_plan(bot, incident_id)
    bot.slack.set_topic(incident.channel_id, blocks.topic(incident))
    return {}


def _invite(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, plan = _incident_and_plan(bot, incident_id)
    people = bot.directory.user_ids([*plan.activation.team, *plan.owners])
    for extra in (incident.lead_user_id, incident.activated_by, incident.approved_by):
        if extra and extra not in people:
            people.append(extra)
    people = [p for p in people if p != bot.bot_user_id]
    failed = bot.slack.invite(incident.channel_id, people)
    if failed:
        log.warning("could not invite %d people to incident %s", len(failed), incident_id)
    return {"invited": [p for p in people if p not in failed], "failed": failed}


def _post_header(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, plan = _incident_and_plan(bot, incident_id)
    with bot.uow(read_only=True) as uow:
        steps = uow.incidents.steps(incident_id)
    ts = _post_once(bot, incident.channel_id, f"{incident.ref}:header", retry=retry,
                    text=blocks.header_text(incident, plan), blocks_=blocks.header_blocks(incident, plan, steps))
    with bot.uow() as uow:
        uow.incidents.set_fields(incident_id, header_ts=ts)
        uow.commit()
    return {"ts": ts}


def _pin_header(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, _ = _incident_and_plan(bot, incident_id)
    bot.slack.pin(incident.channel_id, incident.header_ts)
    return {}


def _post_checklist(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    from bot.usecases.checklist import post_phase_checklist

    incident, plan = _incident_and_plan(bot, incident_id)
    return {"pages": post_phase_checklist(bot, incident, plan, retry=retry)}


def _announce(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, plan = _incident_and_plan(bot, incident_id)
    channel = bot.settings.bcbot_announce_channel
    text = blocks.announcement_text(incident, plan)
    ts = _post_once(bot, channel, f"{incident.ref}:announce", retry=retry, text=text, blocks_=[blocks.section(text)])
    with bot.uow() as uow:
        uow.incidents.set_fields(incident_id, announce_ts=ts)
        uow.commit()
    return {"ts": ts}


def _notify_people(bot: Bcbot, incident_id: int, *, retry: bool) -> dict:
    incident, plan = _incident_and_plan(bot, incident_id)
    what = "exercise" if incident.is_exercise else "activation"
    told = {}
    for user in sorted({incident.activated_by, incident.approved_by} - {None}):
        # Keyed like every other post, so a retry after a crash (or a lost reply) finds the DM already sent.
        channel = bot.slack.open_dm(user)
        told[user] = _post_once(bot, channel, f"{incident.ref}:under_way:{user}", retry=retry,
                                text=f"{incident.ref} ({what} of {safe(plan.title, 150)}) is under way in "
                                     f"<#{incident.channel_id}>.")
    return {"told": told}


TASKS: dict[str, Callable[..., dict]] = {
    CREATE_CHANNEL: _create_channel, "set_topic": _set_topic, "invite": _invite, "post_header": _post_header,
    "pin_header": _pin_header, "post_checklist": _post_checklist, "announce": _announce,
    "notify_people": _notify_people,
}


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
