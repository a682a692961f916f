"""The /activate slash command and its subcommands."""
from __future__ import annotations

from bot.domain.commands import DecisionInChannel, OpenActivation, OpenDecisionInChannel
from bot.slack import plan_view, replies
from bot.slack.governance_parse import trigger_of
from bot.slack.parse import actor, decision_text, subcommand
from bot.usecases import reads
from handlers import corrective_actions, hand_over, roles, rollcall, submit

COMMAND = "/activate"


def register(app) -> None:
    app.command(COMMAND)(activate_command)


def activate_command(ack, command, context):
    bot = context["bcbot"]
    person = actor(command)
    name, rest = subcommand(command.get("text"))
    trigger_id = trigger_of(command)
    channel_id = command.get("channel_id") if isinstance(command.get("channel_id"), str) else None
    if name in ("", "exercise"):
        hand_over(ack, bot, command, OpenActivation(trigger_id=trigger_id, user_id=person.user_id,
                                                    exercise=name == "exercise"))
    elif name == "decision" and rest.strip():
        submit(ack, bot, command, DecisionInChannel(channel_id=channel_id, text=decision_text(rest)))
    elif name == "decision":  # no text: it opens the decision form
        hand_over(ack, bot, command, OpenDecisionInChannel(trigger_id=trigger_id, channel_id=channel_id,
                                                           user_id=person.user_id))
    elif name == "answer":
        rollcall.record_answer(ack, bot, command, rest, channel_id)
    elif name == "role":
        roles.hand_role(ack, bot, command, rest, channel_id)
    elif name == "action":
        corrective_actions.action_command(ack, bot, command, rest, channel_id)
    elif name == "drill":
        rollcall.start_drill(ack, bot, command, rest)
    elif name == "status":
        ack(text=replies.status_text(reads.open_incident_lines(bot, person.user_id)), response_type="ephemeral")
    elif name == "plan":  # anyone may read the plan: the seed makes it "available online to all staff"
        ack(response_type="ephemeral", **plan_view.plan_reply(bot.plans.all(), rest))
    elif name == "help":
        ack(text=replies.HELP, response_type="ephemeral")
    else:
        ack(text=replies.unknown_command(name), response_type="ephemeral")
