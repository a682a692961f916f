"""Events API events. Slack retries an event it thinks failed; each event_id does its work once."""
from __future__ import annotations

import logging

from bot.domain.commands import PublishHome
from bot.slack.parse import USER_ID

log = logging.getLogger("bcbot")


def register(app) -> None:
    app.event("app_home_opened")(app_home_opened)


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
