"""Every use case a recorded intent can name (`intents.kind`), in one table the worker runs from."""
from __future__ import annotations

from typing import Any, Callable

from bot.usecases import activation, checklist, governance, incident, phases, stand_down

UseCase = Callable[..., Any]

USE_CASES: dict[str, UseCase] = {
    "log_decision": incident.log_decision,
    "decision_in_channel": incident.decision_in_channel,
    "decision_from_message": incident.decision_from_message,
    "post_update": incident.post_update,
    "snooze_nudge": incident.snooze_nudge,
    "set_step": checklist.set_step,
    "set_step_detail": checklist.set_step_detail,
    "advance_phase": phases.advance_phase,
    "stand_down": stand_down.stand_down,
    "mark_reviewed": governance.mark_reviewed,
    "snooze_reminder": governance.snooze,
    "record_test": governance.record_test,
    "decide_request": activation.decide_request,
}
