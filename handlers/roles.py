"""Roles: a holder declines a role from their DM, an alternate accepts or declines to cover it, and
`/activate role @person ROLE` (the lead or a team member hands a role to anyone)."""
from __future__ import annotations

from bot.domain.commands import AnswerCover, DeclineRole, HandRole
from bot.slack.ids import Action
from bot.slack.parse import action_value, int_field
from handlers import submit
from handlers.rollcall import PERSON

ROLE_USAGE = ("Usage: `/activate role <@mention or member ID> <role>`, in the incident channel: for example "
              "`/activate role @amy Operations Manager (UK)`.")


def register(app) -> None:
    app.action(Action.ROLE_DECLINE)(decline_clicked)
    app.action(Action.COVER_ACCEPT)(cover_clicked)
    app.action(Action.COVER_DECLINE)(cover_clicked)


def _response_url(body) -> str | None:
    url = body.get("response_url")
    return url if isinstance(url, str) and len(url) <= 2000 else None


def decline_clicked(ack, body, context):
    submit(ack, context["bcbot"], body, DeclineRole(int_field(action_value(body), "r"), _response_url(body)))


def cover_clicked(ack, body, context, action):
    accept = action.get("action_id") == Action.COVER_ACCEPT
    submit(ack, context["bcbot"], body, AnswerCover(int_field(action_value(body), "r"), accept, _response_url(body)))


def hand_role(ack, bot, command: dict, rest: str, channel_id: str | None) -> None:
    """`/activate role @amy Operations Manager (UK)`."""
    person, _, role = rest.strip().partition(" ")
    found = PERSON.match(person)
    if found is None or not role.strip():
        ack(text=ROLE_USAGE, response_type="ephemeral")
        return
    user = found.group(1) or found.group(2)
    submit(ack, bot, command, HandRole(channel_id=channel_id, user_id=user, role=role.strip()[:80]),
           text="Handing the role over: the header will show it.", response_type="ephemeral")
