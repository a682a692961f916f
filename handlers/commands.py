"""The /activate slash command and its subcommands."""
from __future__ import annotations

from bot.slack import blocks
from bot.slack.parse import actor, subcommand
from bot.usecases import incident as incident_ops
from bot.usecases import reads as queries
from bot.worker import modals
from handlers import teller

COMMAND = "/activate"


def register(app) -> None:
    app.command(COMMAND)(activate_command)


def activate_command(ack, command, context):
    bot = context["bcbot"]
    person = actor(command)
    name, rest = subcommand(command.get("text"))
    if name in ("", "exercise"):
        ack()
        trigger_id = command.get("trigger_id", "")
        bot.defer(modals.open_activation, trigger_id=trigger_id, user_id=person.user_id, exercise=name == "exercise",
                  tell=teller(bot, command), urgent=True)
    elif name == "decision":
        ack()
        channel_id, trigger_id = command.get("channel_id"), command.get("trigger_id", "")
        bot.defer(decision_command, channel_id=channel_id, user_id=person.user_id, text=rest, trigger_id=trigger_id,
                  tell=teller(bot, command), urgent=not rest.strip())  # no text: it opens the decision form
    elif name == "status":
        ack(text=blocks.status_text(queries.open_incident_lines(bot)), response_type="ephemeral")
    elif name == "help":
        ack(text=blocks.HELP, response_type="ephemeral")
    else:
        ack(text=blocks.unknown_command(name), response_type="ephemeral")


def decision_command(bot, *, channel_id: str, user_id: str, text: str, trigger_id: str) -> None:
    """`/activate decision TEXT` logs in one step; with no text it opens the decision form."""
    incident = incident_ops.incident_in_channel(bot, channel_id)
    if text.strip():
        incident_ops.log_decision(bot, incident_id=incident.id, user_id=user_id,
                                  entry=incident_ops.DecisionInput(decision=text))
    else:
        modals.open_decision(bot, trigger_id=trigger_id, incident_id=incident.id, user_id=user_id)
