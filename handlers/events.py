"""Events API events. Slack retries an event it thinks failed; each event_id does its work once."""
from __future__ import annotations

import logging
import re

from bot.domain.commands import PublishHome
from bot.slack.parse import USER_ID

log = logging.getLogger("bcbot")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}\Z")


def register(app) -> None:
    app.event("app_home_opened")(app_home_opened)
    app.event("channel_unarchive")(channel_usable_again)
    app.event("member_joined_channel")(channel_usable_again)


def first_delivery(bot, body: dict) -> bool:
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return True
    with bot.uow() as uow:
        new = uow.events.first_time(event_id[:64], bot.clock())
        uow.commit()
    return new


def app_home_opened(body, event, context):
    bot = context["bcbot"]
    user_id = event.get("user")
    if not isinstance(user_id, str) or not USER_ID.match(user_id):
        log.info("refused app_home_opened without a valid user")
        return
    if event.get("tab", "home") != "home":
        log.debug("app_home_opened on the %r tab: nothing to publish", event.get("tab"))
        return
    if not first_delivery(bot, body):
        log.debug("app_home_opened %s was already handled (a retry)", body.get("event_id"))
        return
    bot.send(PublishHome(user_id=user_id), None, False)


def channel_usable_again(body, event, context):
    """A channel was unarchived, or bcbot was invited back: what was held for it goes out (the worker's
    sweep, or the commit's kick, runs it). Releasing twice is harmless, so a retried event needs no check."""
    bot = context["bcbot"]
    channel = event.get("channel")
    if not isinstance(channel, str) or not CHANNEL_ID.match(channel):
        log.info("refused %s without a valid channel", event.get("type"))
        return
    if event.get("type") == "member_joined_channel" and event.get("user") != bot.bot_user_id:
        log.debug("someone else joined %s: nothing changes for bcbot", channel)
        return
    with bot.uow() as uow:
        subjects = uow.outbox.release(channel)
        uow.commit()
    if subjects:
        log.info("channel %s is usable again: %d subject(s) released", channel, len(subjects))
    else:
        log.debug("channel %s is usable again: nothing was held for it", channel)
