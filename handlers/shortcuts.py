"""Global shortcut: activate the plan from Slack's shortcut menu."""
from __future__ import annotations

from bot.slack.ids import Callback
from bot.slack.parse import actor
from bot.usecases import incident as incident_ops
from handlers import open_activation_modal, teller


def register(app) -> None:
    app.shortcut(Callback.SHORTCUT_ACTIVATE.value)(open_activation_modal)
    app.shortcut(Callback.SHORTCUT_LOG_DECISION.value)(log_as_decision)


def log_as_decision(ack, body, context):
    """Message shortcut: the message becomes a numbered decision, quoted with its permalink."""
    bot = context["bcbot"]
    person = actor(body)
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else channel
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    ack()
    bot.defer(incident_ops.decision_from_message, channel_id=channel_id, message=message, user_id=person.user_id,
              tell=teller(bot, body))
