"""Use cases of the reviews that give actions: the post-incident review form (after a stand-down) and the
management review (ISO 22301 9.3: when, who attended, what was decided; a decision may become an action)."""
from __future__ import annotations

import logging

from bot.domain.action_commands import RecordManagementReview, RecordPostIncidentReview
from bot.domain.actions import ManagementReview, Source, SourceKind, review_ref
from bot.domain.errors import NotAllowed
from bot.domain.text import capped
from bot.slack.mrkdwn import safe
from bot.usecases import actions
from bot.usecases.access import load, team_ids
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.actions")


def record_post_incident_review(bot: Parts, uow: UnitOfWork, command: RecordPostIncidentReview, *,
                                actor: str) -> list:
    """What worked and the gaps go in the incident's record; each action row becomes an action whose source
    is the incident (or exercise). The lead, the team and the plan's owners may record it, once it is stood down."""
    incident, plan = load(bot, uow, command.incident_id, must_be_open=False)
    allowed = {incident.lead_user_id, *team_ids(bot, plan), *bot.directory.user_ids(plan.owners)}
    if actor not in allowed:
        raise NotAllowed(f"Only the lead, the Business Continuity Team or the owners of {safe(plan.title, 150)} can "
                         f"record the review of {incident.ref}.")
    now = bot.clock()
    what_worked, gaps = capped(command.what_worked), capped(command.gaps)
    uow.log.append(incident_id=incident.id, at=now, actor=actor, kind="post_incident_review",
                   summary=f"Post-incident review recorded: {len(command.actions)} actions",
                   data={"what_worked": what_worked or None, "gaps": gaps or None})
    note = capped(f"Post-incident review: {gaps}" if gaps else "Post-incident review", 500)
    return actions.create(bot, uow, command.actions, actions.source_of(incident, note), actor=actor, now=now)


def record_management_review(bot: Parts, uow: UnitOfWork, command: RecordManagementReview, *,
                             actor: str) -> ManagementReview:
    """Recorded by the owners or team of any plan; its actions belong to the plan the form names."""
    form = command.form
    plan = bot.plans.get(form.plan_id) if form.plan_id else bot.plans.first()
    stewards = {u for p in bot.plans.all() for u in [*team_ids(bot, p), *bot.directory.user_ids(p.owners)]}
    if actor not in stewards:
        raise NotAllowed("Only the plans' owners and the Business Continuity Team can record a management review.")
    now = bot.clock()
    decisions = [capped(d, 1000) for d in form.decisions if capped(d, 1000)][:50]
    review = uow.reviews.add(held_on=form.held_on, attendees=list(dict.fromkeys(form.attendees)),
                             decisions=decisions, by=actor, now=now, plan_key=plan.id)
    source = Source(kind=SourceKind.REVIEW, plan_key=plan.id, review_id=review.id,
                    note=f"Management review {review_ref(review.id)} of {form.held_on.isoformat()}")
    actions.create(bot, uow, form.actions, source, actor=actor, now=now)
    log.info("management review %s recorded by %s: %d decisions, %d actions", review.ref, actor, len(decisions),
             len(form.actions))
    return review
