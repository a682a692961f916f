"""An activation form's submission recorded as its listener records it, on a bot whose clock the test
moves: as if the process died right after the ack, before the worker ran it."""
from __future__ import annotations

from datetime import timedelta

from bot.domain.commands import SubmitActivation, encode
from bot.domain.records import ActivationForm
from bot.usecases.ports import utcnow
from bot.worker.intents import process_intent
from tests.support.clock import FakeClock

SWEEP_AGE = timedelta(seconds=3)  # older than what the sweep leaves to the pipe (2 s of wall clock)


def recorded_activation(start_app, *, requested_by: str, view_id: str, summary: str):
    """(running app, its clock, the intent's ID), the intent recorded long enough ago for the sweep to take it."""
    clock = FakeClock()
    running = start_app(clock=clock)
    running.settle()
    form = ActivationForm(plan_id="wunderroot-bcp", circumstance="Loss of critical systems", summary=summary,
                          services=(), lead_user_id=requested_by)
    intent_id, new = running.bot.record_intent(
        kind=SubmitActivation.kind, actor=requested_by, payload=encode(SubmitActivation(form, view_id=view_id)),
        dedupe_key=f"view:{view_id}", tell={"user_id": requested_by}, now=utcnow() - SWEEP_AGE)
    assert new
    return running, clock, intent_id


def run_recorded(running, intent_id: int) -> int:
    """Run the recorded activation as the worker would; the activation request's ID."""
    from sqlalchemy import select

    from storage import models

    process_intent(running.bot, intent_id=intent_id, from_intake=running.bot.record_intent.intake)
    with running.bot.uow(read_only=True) as uow:
        return uow.session.scalars(select(models.ActivationRequest.id)).one()
