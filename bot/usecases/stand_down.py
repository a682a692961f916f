"""Use cases of standing an incident down: the closing record and everything that follows from it, in one unit of work."""
from __future__ import annotations

from bot.domain.commands import StandDown
from bot.domain.errors import IncidentStoodDown, InvalidInput
from bot.domain.incident import IncidentState
from bot.domain.outbox import Task, incident_subject
from bot.domain.plan import PHASE_ORDER
from bot.domain.records import Incident, StepStatus
from bot.domain.text import capped
from bot.usecases import actions, effects, recovery
from bot.usecases.access import load, require_lead_or_team
from bot.usecases.governance import stand_down_follow_ups
from bot.usecases.ports import Parts, UnitOfWork


def check_can_stand_down(bot: Parts, uow: UnitOfWork, *, incident_id: int, user_id: str) -> tuple[Incident, int]:
    """The incident and how many of its current phase's steps are still open (the form says so)."""
    incident, plan = load(bot, uow, incident_id)
    require_lead_or_team(bot, incident, plan, user_id, "stand down")
    open_steps = sum(s.status is StepStatus.OPEN for s in uow.incidents.steps(incident_id, incident.state.value))
    return incident, open_steps


def stand_down(bot: Parts, uow: UnitOfWork, command: StandDown, *, actor: str) -> None:
    """Stand the incident down. With it, in the same transaction: an exercise's record as a test of the
    plan, the plan's review brought forward, and every Slack effect it owes (the closing post and its
    report file, every checklist without buttons, header, topic, announcement, the owners' review DMs)."""
    incident_id, exercise_report = command.incident_id, command.exercise_report
    incident, plan = load(bot, uow, incident_id)
    require_lead_or_team(bot, incident, plan, actor, "stand down")
    summary = capped(command.closing_summary)
    if not summary:
        raise InvalidInput("Add a short closing summary.", {"text": "Say how the incident ended."})
    now = bot.clock()
    if not uow.incidents.transition(incident_id, from_=incident.state, to=IncidentState.STOOD_DOWN, now=now,
                                    closing_summary=summary):
        raise IncidentStoodDown(incident.ref)
    recovery.record_recovered(uow, incident_id, command.recovered, by=actor, now=now)
    recovery.stop_clocks(uow, incident_id, at=now, by=actor)
    made = actions.create(bot, uow, command.actions, actions.source_of(incident, _note(exercise_report)), actor=actor,
                          now=now)
    if made:  # the post-exercise report names its actions by reference, and their owners as they are called
        names = uow.names.history({a.owner for a in made})
        exercise_report = {**(exercise_report or {}), "actions": "\n".join(
            f"{a.ref} {a.title} (owner {names.at(a.owner, now) or a.owner}, due {a.due_on.isoformat()})" for a in made)}
    uow.log.append(incident_id=incident_id, at=now, actor=actor, kind="stood_down",
                   summary=f"Stood down: {summary}", data={"closing_summary": summary, "exercise_report": exercise_report})
    uow.outbox.add(incident_subject(incident_id), [
        Task("post_stood_down", name="stood_down", args={"by": actor}, depends_on="post_header"),
        Task("upload_report", name="report_file", depends_on="stood_down")], now)
    effects.rerender(uow, incident_id, now, phases=tuple(p.value for p in PHASE_ORDER), topic=True,
                     announcement=True)
    stand_down_follow_ups(bot, uow, incident=incident, plan=plan, exercise_report=exercise_report, now=now)


def _note(exercise_report: dict | None) -> str:
    gaps = capped((exercise_report or {}).get("gaps"), 450)
    return f"Post-exercise report: {gaps}" if gaps else "Post-exercise report"
