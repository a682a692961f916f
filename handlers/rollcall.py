"""Roll call: a person's answer from the buttons of their DM, and the subcommands `/activate answer` (the lead
or a team member records someone's answer, reached by phone) and `/activate drill` (a roll call on its own)."""
from __future__ import annotations

import re

from bot.domain.commands import AnswerRollCall, RecordAnswerFor, StartDrill
from bot.domain.errors import InvalidInput
from bot.domain.rollcall import Answer
from bot.slack.ids import Action
from bot.slack.parse import action_value, int_field
from handlers import submit

ANSWER_WORDS = {"safe": Answer.SAFE, "cant-work": Answer.CANT_WORK, "cant_work": Answer.CANT_WORK,
                "cantwork": Answer.CANT_WORK, "need-help": Answer.NEED_HELP, "need_help": Answer.NEED_HELP,
                "help": Answer.NEED_HELP}
PERSON = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$|^@?([UW][A-Z0-9]{2,})$")
ANSWER_USAGE = ("Usage: `/activate answer <member ID or @mention> safe|cant-work|need-help`, in the incident "
                "channel (the member ID is in their profile: ⋮ > Copy member ID).")


def register(app) -> None:
    for answer in Answer:
        app.action(f"{Action.ROLL_CALL_ANSWER}.{answer.value}")(answer_clicked)


def answer_clicked(ack, body, context):
    value = action_value(body)
    try:
        given = Answer(str(value.get("a")))
    except ValueError:
        raise InvalidInput("This button's data is not valid; it may be from an old message.") from None
    url = body.get("response_url")
    submit(ack, context["bcbot"], body, AnswerRollCall(int_field(value, "r"), given,
                                                       url if isinstance(url, str) and len(url) <= 2000 else None))


def record_answer(ack, bot, command: dict, rest: str, channel_id: str | None) -> None:
    """`/activate answer U0123ABCD safe`."""
    parts = rest.split()
    found = PERSON.match(parts[0]) if len(parts) == 2 else None
    given = ANSWER_WORDS.get(parts[1].lower().replace("'", "")) if len(parts) == 2 else None
    if found is None or given is None:
        ack(text=ANSWER_USAGE, response_type="ephemeral")
        return
    user = found.group(1) or found.group(2)
    submit(ack, bot, command, RecordAnswerFor(channel_id=channel_id, user_id=user, answer=given),
           text=f"Recording their answer: {given.value.replace('_', ' ')}.", response_type="ephemeral")


def start_drill(ack, bot, command: dict, rest: str) -> None:
    """`/activate drill [PLAN ID]`."""
    plan_id = rest.strip() or None
    submit(ack, bot, command, StartDrill(plan_id=plan_id[:64] if plan_id else None),
           text="Starting a roll-call drill: everyone in the plan gets a DM; the tally comes to you here.",
           response_type="ephemeral")
