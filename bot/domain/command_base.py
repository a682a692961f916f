"""The two sorts of typed command (bot.domain.commands says what each is for), and how to tell a person."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ReplyTo:
    """How to tell the person something after the ack: their response_url, else a DM."""

    response_url: str | None = None
    user_id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.response_url or self.user_id)


class Command:
    """A change a person asked for, recorded as an intent. `kind` names it in the intents table."""

    kind: ClassVar[str]


class ViewRequest:
    """Work bound to Slack's trigger or view: opening or refreshing a view. Not recorded."""

    kind: ClassVar[str]
