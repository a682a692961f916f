"""Use cases of the roll call: started with an activation (or on its own as a drill), answered by each person
from their DM, or recorded for them by the lead or a team member. Every Slack effect is an outbox task of the
roll call's subject (`rollcall:<id>`): one DM per person, the tally (a coalesced re-render), the "I need help"
alerts, the reminder and the escalation (tasks that wait for their time: `not_before`)."""
from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.commands import AnswerRollCall, RecordAnswerFor, StartDrill
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.incident import is_open
from bot.domain.outbox import Task
from bot.domain.plan import Plan
from bot.domain.reminders import PlanTest, PlanTestType, local_today, next_test_after
from bot.domain.rollcall import ANSWER_WORDS, Answer, RollCall
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases import roles
from bot.usecases.access import plan_of, team_ids
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.rollcall")
TALLY = "tally"


def rollcall_subject(roll_call_id: int) -> str:
    return f"rollcall:{roll_call_id}"


def start(bot: Parts, uow: UnitOfWork, *, plan: Plan, plan_version_id: int, incident_id: int | None, is_drill: bool,
          started_by: str, lead_user_id: str, now: datetime) -> int | None:
    """Record a roll call of everyone the plan names (each once) and owe its DMs, its tally, its reminder and its
    escalation, in the caller's transaction. A drill's (an exercise's, or one on its own) is recorded as a
    call-tree test of the plan. None if this incident has a roll call already."""
    people: list[tuple[str, str]] = []
    for person in plan.roll_call_people():
        user = bot.directory.user_id(person)
        if user is None:  # not in this workspace: `bcbot doctor` and the plan status name them
            log.warning("roll call: %s is not in this Slack workspace and is not asked", person.name)
        elif user not in {u for u, _ in people}:
            people.append((user, person.name))
    rc = plan.roll_call
    roll_call_id = uow.rollcalls.start(incident_id=incident_id, plan_key=plan.id, plan_version_id=plan_version_id,
                                       is_drill=is_drill, started_by=started_by, lead_user_id=lead_user_id, now=now,
                                       remind_at=now + rc.remind_wait, escalate_at=now + rc.escalate_wait,
                                       people=people)
    if roll_call_id is None:
        return None
    subject = rollcall_subject(roll_call_id)
    uow.outbox.arm(subject, Task("rollcall_tally", name=TALLY), now)
    uow.outbox.add(subject, [Task("rollcall_dm", name=f"dm:{user}", args={"user": user}) for user, _ in people], now)
    uow.outbox.add(subject, [Task("rollcall_remind", name="remind", not_before=now + rc.remind_wait),
                             Task("rollcall_escalate", name="escalate", not_before=now + rc.escalate_wait)], now)
    if incident_id is not None:
        uow.log.append(incident_id=incident_id, at=now, actor=started_by, kind="roll_call_started",
                       summary=f"Roll call started: {len(people)} people asked" + (" (drill)" if is_drill else ""),
                       data={"roll_call": roll_call_id, "people": len(people)})
    if is_drill:
        held_on = local_today(now, bot.settings.timezone)
        what = f"roll call RC-{roll_call_id}" + (f" of incident {incident_id}" if incident_id else " (drill)")
        uow.governance.record_test(PlanTest(plan_key=plan.id, test_type=PlanTestType.CALL_TREE, held_on=held_on,
                                            recorded_by=started_by, notes=f"Call-tree test: {what}, "
                                            f"{len(people)} people asked"),
                                   next_test=next_test_after(held_on, plan.review.interval_months), now=now)
    log.info("roll call %s started: %d people", roll_call_id, len(people))
    return roll_call_id


def start_drill(bot: Parts, uow: UnitOfWork, command: StartDrill, *, actor: str) -> int | None:
    """`/activate drill`: a roll call on its own (no incident), its tally in the runner's DM, run by the team
    or the plan's owners."""
    plan = bot.plans.get(command.plan_id) if command.plan_id else bot.plans.first()
    if actor not in team_ids(bot, plan) and actor not in bot.directory.user_ids(plan.owners):
        raise NotAllowed(f"Only the Business Continuity Team or the owners of {safe(plan.title, 200)} can run a "
                         "roll-call drill.")
    return start(bot, uow, plan=plan, plan_version_id=bot.plans.version_ids[plan.id], incident_id=None,
                 is_drill=True, started_by=actor, lead_user_id=actor, now=bot.clock())


def answer(bot: Parts, uow: UnitOfWork, command: AnswerRollCall, *, actor: str) -> None:
    """A person's own answer (or a changed one), from their DM."""
    roll_call = uow.rollcalls.get(command.roll_call_id)
    _still_open(uow, roll_call)
    now = bot.clock()
    if not _record(bot, uow, roll_call, actor, command.answer, recorded_by=None, now=now):
        raise NotAllowed("You are not on this roll call's list.")
    if command.response_url:
        uow.outbox.arm(rollcall_subject(roll_call.id), Task("rollcall_answered", name=f"answered:{actor}", args={
            "user": actor, "answer": command.answer.value, "at": now.isoformat(),
            "response_url": command.response_url}), now)


def record_for(bot: Parts, uow: UnitOfWork, command: RecordAnswerFor, *, actor: str) -> None:
    """The lead or a team member records someone's answer, reached some other way; the record says who."""
    roll_call = _in_channel(uow, command.channel_id)
    _still_open(uow, roll_call)
    plan = plan_of(bot, uow, roll_call.plan_version_id)
    if actor != roll_call.lead_user_id and actor not in team_ids(bot, plan):
        raise NotAllowed(f"Only the lead ({user_mention(roll_call.lead_user_id)}) or the Business Continuity Team "
                         "can record an answer for someone.")
    now = bot.clock()
    if not _record(bot, uow, roll_call, command.user_id, command.answer, recorded_by=actor, now=now):
        raise InvalidInput(f"{user_mention(command.user_id)} is not on this roll call's list.")
    if roll_call.incident_id is not None:
        uow.log.append(incident_id=roll_call.incident_id, at=now, actor=actor, kind="roll_call_recorded",
                       summary=f"Roll call: {ANSWER_WORDS[command.answer]} for {command.user_id}, recorded by {actor}",
                       data={"user": command.user_id, "answer": command.answer.value})


def _in_channel(uow: UnitOfWork, channel_id: str | None) -> RollCall:
    found = None
    if isinstance(channel_id, str) and channel_id:
        incident = uow.incidents.by_channel(channel_id)
        found = uow.rollcalls.of_incident(incident.id) if incident else uow.rollcalls.by_tally_channel(channel_id)
    if found is None:
        raise NotFound("There is no roll call here: use `/activate answer` in the incident channel (or, for a "
                       "drill, in your DM with bcbot where its tally is).")
    return found


def _still_open(uow: UnitOfWork, roll_call: RollCall) -> None:
    if roll_call.incident_id is not None:
        incident = uow.incidents.get(roll_call.incident_id)
        if not is_open(incident.state):
            raise NotAllowed(f"{incident.ref} is stood down: its roll call is closed.")


def _record(bot: Parts, uow: UnitOfWork, roll_call: RollCall, user: str, given: Answer, *, recorded_by: str | None,
            now: datetime) -> bool:
    before = uow.rollcalls.person(roll_call.id, user)
    if before is None or not uow.rollcalls.answer(roll_call.id, user, given, now=now, recorded_by=recorded_by):
        return False
    subject = rollcall_subject(roll_call.id)
    uow.outbox.arm(subject, Task("rollcall_tally", name=TALLY), now)
    if roll_call.incident_id is not None and given in roles.CANNOT_ACT:  # their roles are handed on
        roles.cannot_act(bot, uow, roll_call.incident_id, user, f"answered {ANSWER_WORDS[given]}",
                         actor=recorded_by or user, now=now)
    if given is Answer.NEED_HELP and before.answer is not Answer.NEED_HELP:
        # Each time someone comes to need help, the lead and the team hear at once: in the channel and by DM.
        times = sum(1 for a in uow.rollcalls.answers(roll_call.id) if a.user_id == user and a.answer is given)
        plan = plan_of(bot, uow, roll_call.plan_version_id)
        to = [roll_call.lead_user_id, *team_ids(bot, plan)]
        args = {"user": user, "recorded_by": recorded_by}
        tasks = [Task("rollcall_help", name=f"help:{user}:{times}:channel", args={**args, "to": None})]
        tasks += [Task("rollcall_help", name=f"help:{user}:{times}:{who}", args={**args, "to": who})
                  for who in dict.fromkeys(to) if who != user]
        uow.outbox.add(subject, tasks, now)
        if roll_call.incident_id is not None:
            uow.log.append(incident_id=roll_call.incident_id, at=now, actor=recorded_by or user,
                           kind="roll_call_need_help", summary=f"Roll call: {user} needs help",
                           data={"user": user, "recorded_by": recorded_by})
    return True

