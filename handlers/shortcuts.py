"""Global shortcut: activate the plan from Slack's shortcut menu."""
from __future__ import annotations

from bot.slack.ids import Callback
from handlers import open_activation_modal, submit_intent


def register(app) -> None:
    app.shortcut(Callback.SHORTCUT_ACTIVATE.value)(open_activation_modal)
    app.shortcut(Callback.SHORTCUT_LOG_DECISION.value)(log_as_decision)


def log_as_decision(ack, body, context):
    """Message shortcut: the message becomes a numbered decision, quoted with its permalink."""
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else channel
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    submit_intent(ack, context["bcbot"], body, kind="decision_from_message",
                  payload={"channel_id": channel_id if isinstance(channel_id, str) else None,
                           "message": {k: message[k] for k in ("text", "ts", "user") if isinstance(message.get(k), str)}})
