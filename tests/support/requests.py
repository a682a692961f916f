"""An activation request recorded as the modal's submit records it, on a bot whose clock the test moves:
as if the process died right after the ack, before the work after it ran."""
from __future__ import annotations

from bot.usecases import activation
from bot.domain.records import ActivationForm
from tests.support.clock import FakeClock


def recorded_request(start_app, *, requested_by: str, view_id: str, summary: str):
    """(running app, its clock, the request's ID)."""
    clock = FakeClock()
    running = start_app(clock=clock)
    running.settle()
    form = ActivationForm(plan_id="wunderroot-bcp", circumstance="Loss of critical systems", summary=summary,
                          services=(), lead_user_id=requested_by)
    request_id = activation.record_request(running.bot, view_id=view_id, requested_by=requested_by, form=form)
    return running, clock, request_id
