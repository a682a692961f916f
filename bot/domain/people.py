"""People as records name them: Slack user IDs, and what each person was called at the time."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

USER_ID_IN_TEXT = re.compile(r"\b[UW][A-Z0-9]{6,20}\b")


@dataclass(frozen=True)
class Names:
    """Each person's names over time: (from when, name), oldest first."""

    history: Mapping[str, tuple[tuple[datetime, str], ...]] = field(default_factory=dict)

    def at(self, user_id: str | None, when: datetime | None = None) -> str | None:
        """The name `user_id` had at `when` (the latest one before it; the first one known if they were
        named only later; the latest one without `when`), or None for someone bcbot never learned the name of."""
        names = self.history.get(user_id or "")
        if not names:
            return None
        if when is None:
            return names[-1][1]
        before = [name for seen_at, name in names if seen_at <= when]
        return before[-1] if before else names[0][1]

    def text(self, text: str, when: datetime | None = None) -> str:
        """`text` with every user ID bcbot knows a name for replaced by that name (a log line, say)."""
        return USER_ID_IN_TEXT.sub(lambda m: self.at(m.group(), when) or m.group(), text)


def ids_in(*values: Iterable[str | None] | str | None) -> set[str]:
    """The user IDs among `values` (single IDs or iterables of them)."""
    found: set[str] = set()
    for value in values:
        items = [value] if value is None or isinstance(value, str) else list(value)
        found.update(v for v in items if v)
    return found
