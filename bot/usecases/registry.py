"""Every use case a recorded intent can name (`intents.kind`), in one table the worker runs from."""
from __future__ import annotations

from typing import Any, Callable

from bot.usecases import incident

UseCase = Callable[..., Any]

USE_CASES: dict[str, UseCase] = {
    "log_decision": incident.log_decision,
    "decision_in_channel": incident.decision_in_channel,
    "decision_from_message": incident.decision_from_message,
    "post_update": incident.post_update,
    "snooze_nudge": incident.snooze_nudge,
}
