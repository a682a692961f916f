"""Slack's names for the people records name that no plan names: the worker asks users.info (a read),
a few at a time, so a report or plan status can name everyone (bot.domain.people.Names)."""
from __future__ import annotations

import logging

from bot.bcbot import Bcbot

log = logging.getLogger("bcbot.people")
PER_RUN = 50  # users.info is Tier 4 (100+ a minute): a run every minute stays well inside it


def learn_slack_names(bot: Bcbot) -> int:
    """Ask Slack the name of each person records name and bcbot has no name for; how many it learned."""
    with bot.uow(read_only=True) as uow:
        unnamed = uow.names.unnamed(PER_RUN)
    learned = 0
    for user_id in unnamed:
        try:
            name = bot.slack.real_name(user_id)
        except Exception as err:  # Slack away: the next run asks again
            log.info("could not ask Slack the name of %s: %s", user_id, str(err).splitlines()[0][:200])
            break
        if name:
            with bot.uow() as uow:
                learned += uow.names.learn(user_id, name, source="slack", now=bot.clock())
                uow.commit()
    return learned
