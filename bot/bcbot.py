"""The bot's parts, as the composition root (bot.runtime.container) builds them: what a listener, a
job or a worker task is handed. The Slack client is here; use cases see only `Parts` of it."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from bot.domain.commands import ReplyTo, ViewRequest
from bot.usecases.ports import (
    Background,
    Directory,
    Effects,
    IntakeQueue,
    IntentRecorder,
    PlanCatalog,
    PlanWatch,
    ReminderSweeps,
    UnitOfWork,
    WorkerPipe,
    utcnow,
)

if TYPE_CHECKING:
    from bot.slack.api import SlackApi
    from config.settings import Settings


@dataclass
class Bcbot:
    """Everything a handler, job or worker task needs, passed explicitly (no globals). Use cases see
    only its `Parts`."""

    settings: Settings
    plans: PlanCatalog
    uow: Callable[..., UnitOfWork]  # uow() for a change, uow(read_only=True) for a read
    slack: SlackApi
    directory: Directory
    background: Background
    healthy: Callable[[], bool]
    record_intent: IntentRecorder
    clock: Callable[[], datetime] = utcnow
    permalink: Callable[[str, str], str | None] = lambda channel, ts: None  # a message's link (chat.getPermalink)
    # Hands a view request (or a recorded intent's ID) to where work after the ack runs: the worker
    # process, or this process's threads. Set by the composition root.
    send: Callable[[ViewRequest, ReplyTo | None, bool], None] = lambda request, reply_to, urgent: None
    intake: IntakeQueue | None = None  # on SQLite: where the ack path's intents wait for the worker
    effects: "Effects | None" = None  # the outbox runner, where this process runs outbox tasks
    bot_user_id: str | None = None
    team_id: str | None = None  # None until auth.test has answered: every request is refused until then
    enterprise_id: str | None = None
    overdue_checked_until: datetime | None = None  # how far the overdue-steps job has looked
    worker: WorkerPipe | None = None  # when slow work runs in its own process
    # Bumped after every commit that wrote an incident row, here or in the worker process: what was
    # read before (the `/activate status` list) is stale. Listeners pass the news on (worker -> server).
    incidents_version: int = 0
    incident_listeners: list[Callable[[], None]] = field(default_factory=list)
    status_cache: tuple | None = None  # (incidents_version, monotonic time, [(incident, plan title)])
    status_lock: threading.Lock = field(default_factory=threading.Lock)  # one reader refills it, the rest wait
    reminder_sweeps: ReminderSweeps = field(default_factory=ReminderSweeps)
    plan_watch: PlanWatch = field(default_factory=PlanWatch)
    # Told the served plan versions ({plan ID: version ID}) after the plan files changed them: the worker
    # process passes them on to the serving process.
    plan_listeners: list[Callable[[dict[str, int]], None]] = field(default_factory=list)
    _version_lock: threading.Lock = field(default_factory=threading.Lock)

    def incidents_changed(self) -> None:
        with self._version_lock:  # from several threads: the version only ever moves on
            self.incidents_version += 1
        for listener in self.incident_listeners:
            listener()

    def wait_idle(self, timeout: float = 10) -> bool:
        """True once all deferred work has finished (tests, benchmarks, the demo)."""
        if self.worker is not None:
            return self.worker.wait_idle(timeout)
        return self.background.wait_idle(timeout)
