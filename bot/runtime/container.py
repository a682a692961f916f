"""The composition root's parts: `build_bot(settings)` wires plans, database, Slack and the worker's runners."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Callable

from sqlalchemy import Engine

from bot.bcbot import Bcbot
from bot.domain.plan import inspect_plans
from bot.slack.api import SlackApi, make_client
from bot.usecases.ports import Directory, PlanCatalog, utcnow
from bot.worker.outbox import OutboxRunner
from bot.worker.runner import Background
from bot.worker.tasks import TASKS
from bot.worker.views import run
from config.settings import Settings
from storage.db import make_engine, make_session_factory, patient_locks, ping
from storage.intake import Intake, intake_url
from storage.repositories.intents import IntentWriter
from storage.uow import uow_factory


def build_bot(settings: Settings, *, clock: Callable[[], datetime] = utcnow,
              modal_workers: int = 4, gates: tuple[Callable[[], None], Callable[[], None]] | None = None
              ) -> tuple[Bcbot, Engine]:
    """The bot's parts (plans, database, Slack client, worker threads, outbox runner) and its engine.
    `modal_workers`: threads that open modals (bound to a trigger ID that lives 3 s); `gates`: what
    other work and modals wait on before they start (the worker process: bot/worker/acks_first.py)."""
    # The valid plans only: a broken file's plan is served at its last valid version from the database
    # (bot.worker.plan_watch.sync_plans, at start), and start-up refuses only when nothing can be served.
    plans = inspect_plans(settings.bcbot_plans).plans
    engine = make_engine(settings.database_url)
    url = intake_url(settings.database_url)
    intake = Intake(url) if url else None  # SQLite: the ack path writes a file of its own (storage/intake.py)
    slack = SlackApi(make_client(token=settings.bot_token, base_url=settings.slack_api_url))
    background = Background(urgent_workers=modal_workers, initializer=patient_locks, gates=gates)

    def committed(subjects: set[str]) -> None:
        # Work a commit owes Slack starts at once, where the outbox is run (the worker, or threads mode).
        if bot.effects is not None and bot.worker is None:
            bot.effects.kick_all(subjects)

    bot = Bcbot(
        settings=settings,
        plans=PlanCatalog({p.id: p for p in plans}),
        uow=uow_factory(make_session_factory(engine), on_incidents_changed=lambda: bot.incidents_changed(),
                        on_outbox=committed),
        slack=slack,
        directory=Directory(slack.lookup_email),
        background=background,
        healthy=lambda: ping(engine),
        clock=clock,
        record_intent=intake.writer if intake else IntentWriter(engine),
        intake=intake,
        permalink=slack.permalink,
    )
    bot.send = partial(run, bot)  # threads mode; a worker process replaces it (BcbotApp.start)
    bot.effects = OutboxRunner(bot, TASKS, submit=background.submit, lease_seconds=settings.bcbot_lease_seconds)
    return bot, engine
