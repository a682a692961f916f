"""Plan people named by `email:`, resolved to Slack user IDs where the plans are loaded, never per incident.

One paged users.list sweep (tier 2) resolves every email of every served plan when a plan version names
an email not on record, and again once a day; the answers are stored (`slack_people`) and handed to the
directory, so an activation, a roll call or an invitation never waits on a lookup.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable

log = logging.getLogger("bcbot.plan_people")
REFRESH = timedelta(days=1)
LOOK_EVERY_SECONDS = 300


def plan_emails(bot: Bcbot) -> set[str]:
    return {p.email.lower() for plan in bot.plans.all() for p in plan.roll_call_people() if p.email and not p.slack}


def resolve(bot: Bcbot, *, force: bool = False) -> bool:
    """Sweep users.list if an email of a served plan is not on record, or the record is a day old; hand
    what is on record to the directory either way. True if it swept."""
    emails = plan_emails(bot)
    now = bot.clock()
    with bot.uow(read_only=True) as uow:
        stored = uow.slack_people.all()
    stale = force or any(e not in stored or now - stored[e][1] >= REFRESH for e in emails)
    if stale and emails:
        try:
            members = bot.slack.users_by_email()
        except SlackUnavailable as exc:  # rate-limited or away: the next look tries again
            log.warning("could not resolve plan emails in Slack: %s", exc)
        else:
            found = {e: members.get(e) for e in emails}
            with bot.uow() as uow:
                uow.slack_people.store(found, now)
                uow.commit()
            stored.update({e: (uid, now) for e, uid in found.items()})
    # Each email Slack does not know is reported once per process, whichever way it was first looked up.
    for email in bot.directory.load({e: uid for e, (uid, _) in stored.items()}):
        log.warning("plan person %s is not in this Slack workspace", email)
    return stale and bool(emails)
