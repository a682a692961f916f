"""The /activate slash command and its subcommands."""
from __future__ import annotations

from bot.slack import plan_view, replies
from bot.slack.parse import actor, subcommand
from bot.usecases import reads as queries
from bot.worker import modals
from handlers import submit_intent, teller

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
    elif name == "decision" and rest.strip():
        channel_id = command.get("channel_id")
        submit_intent(ack, bot, command, kind="decision_in_channel",
                      payload={"channel_id": channel_id if isinstance(channel_id, str) else None, "text": rest})
    elif name == "decision":  # no text: it opens the decision form
        ack()
        bot.defer(modals.open_decision_in_channel, trigger_id=command.get("trigger_id", ""),
                  channel_id=command.get("channel_id"), user_id=person.user_id, tell=teller(bot, command), urgent=True)
    elif name == "status":
        ack(text=replies.status_text(queries.open_incident_lines(bot)), response_type="ephemeral")
    elif name == "plan":  # anyone may read the plan: the seed makes it "available online to all staff"
        ack(response_type="ephemeral", **plan_view.plan_reply(bot.plans.all(), rest))
    elif name == "help":
        ack(text=replies.HELP, response_type="ephemeral")
    else:
        ack(text=replies.unknown_command(name), response_type="ephemeral")
