"""Shortcuts: activate the plan (global), log a message as a decision (message)."""
from __future__ import annotations

from bot.domain.commands import DecisionFromMessage, OpenActivation, QuotedMessage
from bot.slack.governance_parse import trigger_of
from bot.slack.ids import Callback
from bot.slack.parse import actor
from handlers import hand_over, submit


def register(app) -> None:
    app.shortcut(Callback.SHORTCUT_ACTIVATE.value)(open_activation_form)
    app.shortcut(Callback.SHORTCUT_LOG_DECISION.value)(log_as_decision)


def open_activation_form(ack, body, context):
    """The global shortcut and App Home's Activate button: the same form as /activate."""
    person = actor(body)
    hand_over(ack, context["bcbot"], body, OpenActivation(trigger_id=trigger_of(body), user_id=person.user_id))


def log_as_decision(ack, body, context):
    """Message shortcut: the message becomes a numbered decision, quoted with its permalink."""
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else channel
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    quoted = QuotedMessage(**{k: message[k] for k in ("text", "ts", "user") if isinstance(message.get(k), str)})
    submit(ack, context["bcbot"], body, DecisionFromMessage(channel_id if isinstance(channel_id, str) else None, quoted))
