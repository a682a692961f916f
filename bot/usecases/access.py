"""Who may do what, and the incident or request with the exact plan version it was made with."""
from __future__ import annotations

from bot.domain.errors import IncidentStoodDown, NotAllowed, NotFound
from bot.domain.incident import is_open
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.slack.mrkdwn import user_mention
from bot.usecases.ports import Parts, UnitOfWork


def plan_of(bot: Parts, uow: UnitOfWork, version_id: int) -> Plan:
    """The exact plan version an incident or request was made with (parsed once per process)."""
    return bot.plans.snapshot(version_id, lambda: uow.plans.snapshot(version_id))


def team_ids(bot: Parts, plan: Plan) -> list[str]:
    return bot.directory.user_ids(plan.activation.team)


def load(bot: Parts, uow: UnitOfWork, incident_id: int, *, must_be_open: bool = True) -> tuple[Incident, Plan]:
    incident = uow.incidents.find(incident_id)
    if incident is None:
        raise NotFound("That incident no longer exists.")
    plan = plan_of(bot, uow, incident.plan_version_id)
    if must_be_open and not is_open(incident.state):
        raise IncidentStoodDown(incident.ref)
    return incident, plan


def incident_in_channel(uow: UnitOfWork, channel_id: str | None) -> Incident:
    incident = uow.incidents.by_channel(channel_id) if isinstance(channel_id, str) and channel_id else None
    if incident is None:
        raise NotFound("This is not an incident channel: use it in the channel bcbot opened for the incident.")
    return incident


def require_lead_or_team(bot: Parts, incident: Incident, plan: Plan, user_id: str | None, doing: str) -> None:
    if user_id != incident.lead_user_id and user_id not in team_ids(bot, plan):
        raise NotAllowed(f"Only the incident lead ({user_mention(incident.lead_user_id)}) or the Business Continuity "
                         f"Team can {doing} {incident.ref}.")


def require_responder(bot: Parts, incident: Incident, plan: Plan, user_id: str | None, doing: str) -> None:
    """The lead, the team and the plan owners: the people the incident channel was opened for."""
    owners = bot.directory.user_ids(plan.owners)
    if user_id != incident.lead_user_id and user_id not in team_ids(bot, plan) and user_id not in owners:
        raise NotAllowed(f"Only the incident lead, the Business Continuity Team or the plan owners can {doing} "
                         f"for {incident.ref}.")


def may_see(bot: Parts, incident: Incident, user_id: str | None, *, ask_slack: bool = False) -> bool:
    """Whether `user_id` may see what a confidential incident is about: the people it named (lead, activator,
    approver; its channel's first members), the team and the plan's owners. Anyone may see any other incident.
    Without `ask_slack` (the ack path), plan people known only by an email not yet looked up are not counted."""
    if not incident.confidential:
        return True
    if user_id is None:
        return False
    if user_id in (incident.lead_user_id, incident.activated_by, incident.approved_by):
        return True
    plan = bot.plans.plans.get(incident.plan_key)
    if plan is None:
        return False
    people = [*plan.activation.team, *plan.owners]
    return user_id in (bot.directory.user_ids(people) if ask_slack else bot.directory.known_ids(people))
