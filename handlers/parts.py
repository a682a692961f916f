"""Know your part: Got it, on the card of a person's part in a plan."""
from __future__ import annotations

import re

from bot.domain.commands import AcknowledgePart
from bot.domain.errors import InvalidInput
from bot.slack.ids import Action
from bot.slack.parse import action_value
from handlers import submit

_PLAN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def register(app) -> None:
    app.action(Action.PART_ACKNOWLEDGE)(got_it)


def got_it(ack, body, context):
    value = action_value(body)
    plan_id, part_hash = value.get("p"), value.get("h")
    if not (isinstance(plan_id, str) and _PLAN_ID.match(plan_id) and isinstance(part_hash, str)
            and _HASH.match(part_hash)):
        raise InvalidInput("This button's data is not valid; it may be from an old message.")
    url = body.get("response_url")
    submit(ack, context["bcbot"], body, AcknowledgePart(plan_id, part_hash,
                                                        url if isinstance(url, str) and len(url) <= 2000 else None))
