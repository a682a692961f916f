"""Use cases of roles in an incident: each step is given to its role's holder at activation; a holder who
cannot act (answers "can't work" or "need help", declines from their DM, or never answers the roll call) hands
the role on to the first alternate able to, asked by DM (Accept / Can't; no answer within the roll call's
`escalate_after` asks the next; none left tells the lead); the lead or the team may hand any role to anyone.
Every hand-over is in the incident log. Slack effects are outbox tasks of the incident's subject."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.domain.commands import AnswerCover, DeclineRole, HandRole
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.outbox import Task, incident_subject
from bot.domain.plan import Plan
from bot.domain.records import Incident, StepStatus
from bot.domain.roles import IncidentRole, RoleState, is_incident_lead, plan_roles, role_key
from bot.domain.rollcall import Answer
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases import effects
from bot.usecases.access import incident_in_channel, load, require_lead_or_team
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.roles")
CANNOT_ACT = (Answer.CANT_WORK, Answer.NEED_HELP)


def steps_dm(user: str, phase: str) -> Task:
    """The DM listing a person's steps of a phase (once per phase and person)."""
    return Task("steps_dm", name=f"steps:{phase}:{user}", args={"user": user, "phase": phase})


def give_out(bot: Parts, uow: UnitOfWork, incident_id: int, plan: Plan, *, lead: str, now: datetime) -> None:
    """At activation: record who holds each of the plan's roles, assign each step to its role's holder (the
    incident's lead for `Incident lead`), and owe each of them one DM listing their steps of the first phase."""
    roles = plan_roles(plan)
    holders = {key: bot.directory.user_id(role.holder) for key, role in roles.items()}
    uow.roles.add(incident_id, [(role.name, holders[key]) for key, role in roles.items()], now)
    by_user: dict[str, list[int]] = {}
    first_phase: set[str] = set()
    incident = uow.incidents.get(incident_id)
    for step in uow.incidents.steps(incident_id):
        user = lead if is_incident_lead(step.owner_role) else holders.get(role_key(step.owner_role or ""))
        if user:
            by_user.setdefault(user, []).append(step.id)
            if step.phase == incident.state.value:
                first_phase.add(user)
    for user, step_ids in by_user.items():
        uow.roles.assign_steps(step_ids, user)
    uow.outbox.add(incident_subject(incident_id), [
        replace(steps_dm(user, incident.state.value), depends_on="post_checklist") for user in sorted(first_phase)], now)


def owe_phase_dms(uow: UnitOfWork, incident_id: int, phase: str, now: datetime) -> None:
    """A new phase: each person with open steps in it gets one DM listing them, after its checklist is posted."""
    users = sorted({s.assignee for s in uow.incidents.steps(incident_id, phase)
                    if s.assignee and s.status is StepStatus.OPEN})
    uow.outbox.add(incident_subject(incident_id), [
        replace(steps_dm(user, phase), depends_on=f"phase:{phase}:checklist") for user in users], now)


def cannot_act(bot: Parts, uow: UnitOfWork, incident_id: int, user: str, why: str, *, actor: str | None,
               now: datetime, silent: bool = False) -> int:
    """`user` cannot act (their roll-call answer; or, `silent`, no answer by `escalate_after`): each role they
    hold is handed on; a cover ask waiting on them moves to the next alternate, unless they are only silent in
    the roll call (an alternate is passed over for an answer, or for not answering the ask itself). How many
    roles moved on."""
    incident, plan = load(bot, uow, incident_id)
    if silent and user in (incident.activated_by, incident.approved_by, incident.lead_user_id):
        return 0  # they acted in this incident: not missing, whatever the roll call says
    moved = 0
    for role in uow.roles.of_incident(incident_id):
        # Silence counts against the plan's holder only: whoever took a role over answered bcbot to do so.
        holds = role.holder == user and role.state is RoleState.HELD and not (silent and role.covered)
        if holds or (role.asking == user and not silent):
            moved += _seek_cover(bot, uow, incident, plan, role, why, actor=actor or user, now=now)
    return moved


def decline_role(bot: Parts, uow: UnitOfWork, command: DeclineRole, *, actor: str) -> None:
    role = uow.roles.get(command.role_id)
    incident, plan = load(bot, uow, role.incident_id)
    if role.holder != actor:
        raise NotAllowed(f"You do not hold {safe(role.name, 80)} in {incident.ref} now"
                         + (f": {user_mention(role.holder)} does." if role.holder else "."))
    if role.state is not RoleState.HELD:
        raise NotAllowed(f"Cover for {safe(role.name, 80)} is already being found.")
    _seek_cover(bot, uow, incident, plan, role, "declined the role", actor=actor, now=bot.clock())
    _reply(uow, incident_id=incident.id, role=role, actor=actor, url=command.response_url,
           text=f"You declined {safe(role.name, 80)} in {incident.ref}: cover is being found.", now=bot.clock())


def answer_cover(bot: Parts, uow: UnitOfWork, command: AnswerCover, *, actor: str) -> None:
    role = uow.roles.get(command.role_id)
    incident, plan = load(bot, uow, role.incident_id)
    now = bot.clock()
    if role.asking != actor:
        holder = f" {user_mention(role.holder)} holds it." if role.holder else ""
        raise NotAllowed(f"You are no longer asked to cover {safe(role.name, 80)} in {incident.ref}.{holder}")
    if command.accept:
        _hand(bot, uow, incident, role, actor, actor=actor, how="accepted to cover", now=now)
        text = f"You now hold {safe(role.name, 80)} in {incident.ref}: your steps follow in a DM."
    else:
        _seek_cover(bot, uow, incident, plan, role, "can't cover", actor=actor, now=now)
        text = f"Thanks: you are not covering {safe(role.name, 80)} in {incident.ref}."
    _reply(uow, incident_id=incident.id, role=role, actor=actor, url=command.response_url, text=text, now=now)


def cover_timed_out(bot: Parts, uow: UnitOfWork, role_id: int, user: str) -> bool:
    """An alternate asked to cover did not answer within `escalate_after`: the next one is asked."""
    role = uow.roles.get(role_id)
    incident, plan = load(bot, uow, role.incident_id, must_be_open=False)
    if role.state is not RoleState.ASKING or role.asking != user or incident.stood_down_at:
        return False
    return bool(_seek_cover(bot, uow, incident, plan, role, "did not answer", actor=None, now=bot.clock()))


def hand_role(bot: Parts, uow: UnitOfWork, command: HandRole, *, actor: str) -> None:
    """`/activate role @person ROLE`."""
    incident = incident_in_channel(uow, command.channel_id)
    incident, plan = load(bot, uow, incident.id)
    require_lead_or_team(bot, incident, plan, actor, "hand roles in")
    roles = {role_key(r.name): r for r in uow.roles.of_incident(incident.id)}
    role = roles.get(role_key(command.role))
    if role is None:
        known = ", ".join(safe(r.name, 80) for r in roles.values()) or "none"
        raise InvalidInput(f"{incident.ref} has no role {safe(command.role, 80)!r}. Its roles: {known}.")
    if role.holder == command.user_id and role.state is RoleState.HELD:
        raise InvalidInput(f"{user_mention(command.user_id)} already holds {safe(role.name, 80)}.")
    _hand(bot, uow, incident, role, command.user_id, actor=actor, how="handed the role by", now=bot.clock())


def _seek_cover(bot: Parts, uow: UnitOfWork, incident: Incident, plan: Plan, role: IncidentRole, why: str, *,
                actor: str | None, now: datetime) -> int:
    """Ask the first alternate not yet asked who has not said they cannot act; with none left, tell the lead."""
    found = plan_roles(plan).get(role_key(role.name))
    alternates = [bot.directory.user_id(p) for p in (found.alternates if found else ())]
    unable = _unable(uow, incident.id)
    who = role.asking if role.state is RoleState.ASKING else role.holder
    candidates = [a for a in alternates if a and a not in role.asked and a != role.holder and a not in unable]
    subject = incident_subject(incident.id)
    if candidates:
        alternate = candidates[0]
        if not uow.roles.ask(role, alternate, now):
            return 0
        wait = plan.roll_call.escalate_wait
        uow.outbox.add(subject, [
            Task("cover_ask", name=f"cover:{role.id}:{alternate}", args={"role_id": role.id, "user": alternate}),
            Task("cover_wait", name=f"cover-wait:{role.id}:{alternate}", not_before=now + wait,
                 args={"role_id": role.id, "user": alternate})], now)
        uow.log.append(incident_id=incident.id, at=now, actor=actor or who or incident.lead_user_id,
                       kind="role_cover_asked", summary=f"{role.name}: {who} {why}; {alternate} asked to cover",
                       data={"role": role.name, "from": who, "asked": alternate, "why": why})
    else:
        if not uow.roles.uncovered(role):
            return 0
        uow.outbox.add(subject, [Task("role_uncovered", name=f"uncovered:{role.id}:{len(role.asked)}",
                                      args={"role_id": role.id})], now)
        uow.log.append(incident_id=incident.id, at=now, actor=actor or who or incident.lead_user_id,
                       kind="role_uncovered", summary=f"{role.name}: {who} {why}; no alternate left to ask, "
                       "the lead was told", data={"role": role.name, "from": who, "why": why})
    effects.rerender(uow, incident.id, now)
    log.info("%s %s: %s %s", incident.ref, role.name, who, why)
    return 1


def _hand(bot: Parts, uow: UnitOfWork, incident: Incident, role: IncidentRole, to: str, *, actor: str, how: str,
          now: datetime) -> None:
    if not uow.roles.hand(role, to, now):
        raise NotAllowed(f"{safe(role.name, 80)} changed hands a moment ago: look at the header.")
    steps = [s for s in uow.incidents.steps(incident.id)
             if s.status is StepStatus.OPEN and role_key(s.owner_role or "") == role_key(role.name)]
    uow.roles.assign_steps([s.id for s in steps], to)
    by = "" if how == "accepted to cover" else f" {actor}"
    uow.log.append(incident_id=incident.id, at=now, actor=actor, kind="role_handed_over",
                   summary=f"{role.name}: handed from {role.holder or 'nobody'} to {to} ({how}{by})",
                   data={"role": role.name, "from": role.holder, "to": to, "how": how, "steps": len(steps)})
    subject = incident_subject(incident.id)
    uow.outbox.add(subject, [
        Task("invite_holder", name=f"invite:{to}", args={"user": to}, depends_on="create_channel"),
        Task("steps_dm", name=f"steps:role:{role.id}:{to}:{now.isoformat()}",
             args={"user": to, "role_id": role.id}, depends_on="post_checklist")], now)
    effects.rerender(uow, incident.id, now, phases=tuple(dict.fromkeys(
        [*(s.phase for s in steps), incident.state.value])))


def _unable(uow: UnitOfWork, incident_id: int) -> set[str]:
    """Who said in the roll call that they cannot work or need help."""
    roll_call = uow.rollcalls.of_incident(incident_id)
    if roll_call is None:
        return set()
    return {p.user_id for p in uow.rollcalls.people(roll_call.id) if p.answer in CANNOT_ACT}


def _reply(uow: UnitOfWork, *, incident_id: int, role: IncidentRole, actor: str, url: str | None, text: str,
           now: datetime) -> None:
    """The DM the person clicked in, replaced in place with what happened."""
    if url:
        uow.outbox.add(incident_subject(incident_id), [Task("role_reply", name=f"reply:{role.id}:{actor}:"
                                                            f"{now.isoformat()}", args={"url": url, "text": text})],
                       now)
