"""The /activate slash command and its subcommands."""
from __future__ import annotations

from bot import blocks, modals, queries
from bot.payloads import actor, subcommand
from handlers import teller

COMMAND = "/activate"


def register(app) -> None:
    app.command(COMMAND)(activate_command)


def activate_command(ack, command, context):
    bot = context["bcbot"]
    person = actor(command)
    name, _rest = subcommand(command.get("text"))
    if name in ("", "exercise"):
        ack()
        trigger_id = command.get("trigger_id", "")
        bot.background.submit(
            lambda: modals.open_activation(bot, trigger_id=trigger_id, user_id=person.user_id, exercise=name == "exercise"),
            tell=teller(bot, command),
        )
    elif name == "status":
        ack(text=blocks.status_text(queries.open_incident_lines(bot)), response_type="ephemeral")
    elif name == "help":
        ack(text=blocks.HELP, response_type="ephemeral")
    else:
        ack(text=blocks.unknown_command(name), response_type="ephemeral")
