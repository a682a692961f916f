"""The use-case layer's fixtures: a unit of work on an in-memory SQLite database, and a Slack that
only records (a use case must not call it: every Slack effect is an outbox task)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from bot.bcbot import Bcbot
from bot.domain.commands import SubmitActivation
from bot.domain.plan import load_plans
from bot.domain.records import ActivationForm
from bot.usecases import activation
from bot.usecases.ports import Directory, PlanCatalog
from config.settings import BUNDLED_PLANS, load_settings
from storage import models
from storage.db import make_session_factory
from storage.repositories.intents import IntentWriter
from storage.uow import uow_factory
from tests.support import people

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=timezone.utc)


class RecordingSlack:
    """Every Web API wrapper call, recorded; reads answer as an empty workspace would."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def lookup_email(self, email: str) -> str | None:
        return None

    def __getattr__(self, method: str):
        def record(*args, **kwargs):
            self.calls.append((method, args, kwargs))
            return None
        return record


class NoThreads:
    """Use cases run on the caller's thread here; nothing is handed to a background pool."""

    def submit(self, fn, *, tell=None, urgent=False, intents=False) -> None:
        raise AssertionError("a use case handed work to a thread")

    def pending(self) -> int:
        return 0

    def wait_idle(self, timeout: float = 10) -> bool:
        return True

    def shutdown(self) -> None:
        pass


@pytest.fixture
def bot() -> Bcbot:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    models.Base.metadata.create_all(engine)
    slack = RecordingSlack()
    plans = load_plans(BUNDLED_PLANS)
    bot = Bcbot(settings=load_settings(_env_file=None, slack_bot_token="xoxb-test", slack_signing_secret="s" * 32,
                                       database_url="sqlite://", bcbot_announce_channel=people.ANNOUNCE),
                plans=PlanCatalog({p.id: p for p in plans}), uow=uow_factory(make_session_factory(engine)),
                slack=slack, directory=Directory(slack.lookup_email), background=NoThreads(),  # type: ignore[arg-type]
                healthy=lambda: True, record_intent=IntentWriter(engine), clock=lambda: NOW)
    with bot.uow() as uow:
        for plan in plans:
            bot.plans.version_ids[plan.id] = uow.plans.version_id(plan, source="test", now=NOW)
        uow.governance.sync({p.id: (p.review.next, p.testing.next) for p in plans}, NOW)  # as at start
        uow.commit()
    return bot


def new_incident(bot: Bcbot, *, exercise: bool = False) -> int:
    """An incident activated by a team member (the activation use case; its Slack set-up is only owed)."""
    plan = bot.plans.first()
    form = ActivationForm(plan_id=plan.id, circumstance=plan.activation.circumstances[0], summary="Server room flooded",
                          services=(), lead_user_id=people.LEAD, is_exercise=exercise)
    with bot.uow() as uow:
        incident_id = activation.submit_activation(bot, uow, SubmitActivation(form), actor=people.PARKS)
        uow.commit()
    assert incident_id is not None
    return incident_id


def owed(bot: Bcbot, incident_id: int) -> dict[str, tuple[str, int]]:
    """The incident's outbox tasks not yet done: name -> (kind, times armed)."""
    from sqlalchemy import select

    with bot.uow(read_only=True) as uow:
        rows = uow.session.execute(select(models.OutboxTask.name, models.OutboxTask.kind, models.OutboxTask.armed)
                                   .where(models.OutboxTask.subject == f"incident:{incident_id}",
                                          models.OutboxTask.done_at.is_(None)))
        return {name: (kind, armed) for name, kind, armed in rows}
