"""What a use case is handed: the bot's parts (built once by the composition root) and the unit of work."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Protocol

from bot.domain.errors import NotFound
from bot.domain.plan import Person, Plan

if TYPE_CHECKING:  # types only: the use cases are handed these, they do not build them
    from bot.slack.api import SlackApi
    from config.settings import Settings
    from storage.repositories.events import EventRepository
    from storage.repositories.governance import GovernanceRepository, ReminderClaimRepository
    from storage.repositories.home import HomeRepository
    from storage.repositories.incidents import DecisionRepository, IncidentRepository, LogRepository
    from storage.repositories.intents import IntentRepository
    from storage.repositories.outbox import OutboxRepository
    from storage.repositories.plans import PlanRepository
    from storage.repositories.requests import RequestRepository

log = logging.getLogger("bcbot")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UnitOfWork(Protocol):
    """One transaction and its repositories (storage.uow.SqlUnitOfWork)."""

    plans: PlanRepository
    requests: RequestRepository
    incidents: IncidentRepository
    log: LogRepository
    outbox: OutboxRepository
    intents: IntentRepository
    events: EventRepository
    decisions: DecisionRepository
    home: HomeRepository
    governance: GovernanceRepository
    reminders: ReminderClaimRepository

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


@dataclass
class PlanCatalog:
    """The plans loaded at start, each with the database row of its exact version."""

    plans: dict[str, Plan]
    version_ids: dict[str, int] = field(default_factory=dict)
    _snapshots: dict[int, Plan] = field(default_factory=dict)

    def all(self) -> list[Plan]:
        return list(self.plans.values())

    def get(self, plan_id: str) -> Plan:
        try:
            return self.plans[plan_id]
        except KeyError:
            raise NotFound(f"There is no plan {plan_id!r} loaded; it may have been removed.") from None

    def first(self) -> Plan:
        return next(iter(self.plans.values()))

    def snapshot(self, version_id: int, load: Callable[[], Plan]) -> Plan:
        """A stored plan version, parsed once per process."""
        plan = self._snapshots.get(version_id)
        if plan is None:
            plan = self._snapshots[version_id] = load()
        return plan

    def title(self, plan_key: str) -> str:
        plan = self.plans.get(plan_key)
        return plan.title if plan else plan_key


@dataclass
class ReminderSweeps:
    """What this process's reminder sweeps share (bot.worker.reminders): one sweep at a time, and each
    plan's reminder schedule, worked out once per plan catalog (written only under the lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    schedules: tuple | None = None  # (the catalog's plans dict, {plan ID: Schedule}, longest lead time in days)


class Directory:
    """Plan people -> Slack user IDs, looking emails up once (users.lookupByEmail)."""

    def __init__(self, lookup_email: Callable[[str], str | None]):
        self._lookup = lookup_email
        self._by_email: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def user_id(self, person: Person) -> str | None:
        if person.slack:
            return person.slack
        assert person.email
        with self._lock:
            if person.email in self._by_email:
                return self._by_email[person.email]
        found = self._lookup(person.email)
        with self._lock:
            if found is None and person.email not in self._by_email:
                log.warning("plan person %s (%s) is not in this Slack workspace", person.name, person.email)
            self._by_email[person.email] = found
        return found

    def user_ids(self, people: list[Person]) -> list[str]:
        ids: list[str] = []
        for person in people:
            uid = self.user_id(person)
            if uid and uid not in ids:
                ids.append(uid)
        return ids


@dataclass(frozen=True)
class Teller:
    """How to tell a person something after the ack: their response_url, else a DM. Plain data, so
    it travels to the worker process with the work it belongs to."""

    response_url: str | None = None
    user_id: str | None = None

    def __call__(self, bot: "Bcbot", text: str) -> None:
        if self.response_url:
            bot.slack.respond(self.response_url, text)
        elif self.user_id:
            bot.slack.dm(self.user_id, text=text)
        else:
            log.info("could not tell anyone: %s", text)


class Background(Protocol):
    """This process's threads for work after the ack (bot.worker.runner.Background)."""

    def submit(self, fn: Callable[[], object], *, tell: Callable[[str], None] | None = None,
               urgent: bool = False) -> None: ...
    def pending(self) -> int: ...
    def wait_idle(self, timeout: float = 10) -> bool: ...
    def shutdown(self) -> None: ...


class WorkerPipe(Protocol):
    """The worker process, as the server sees it (bot.worker.process.WorkerProcess)."""

    def submit(self, use_case: Callable, kwargs: dict, *, tell: Teller | None, urgent: bool) -> None: ...
    def wait_idle(self, timeout: float = 10) -> bool: ...
    def pending(self) -> int: ...
    def alive(self) -> bool: ...
    def stop(self, timeout: float = 30) -> None: ...


class Effects(Protocol):
    """The outbox runner, as the rest of the bot sees it (bot.worker.outbox.OutboxRunner)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def kick(self, subject: str) -> None: ...
    def kick_all(self, subjects: set[str]) -> None: ...
    def sweep(self) -> int: ...


@dataclass
class Bcbot:
    """Everything a handler or job needs, passed explicitly (no globals)."""

    settings: Settings
    plans: PlanCatalog
    uow: Callable[..., UnitOfWork]  # uow() for a change, uow(read_only=True) for a read
    slack: SlackApi
    directory: Directory
    background: Background
    healthy: Callable[[], bool]
    clock: Callable[[], datetime] = utcnow
    record_intent: Callable[..., tuple[int, bool]] | None = None  # the ack path's one write, without a session
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
    status_cache: tuple | None = None  # (incidents_version, monotonic time, lines)
    status_lock: threading.Lock = field(default_factory=threading.Lock)  # one reader refills it, the rest wait
    reminder_sweeps: ReminderSweeps = field(default_factory=ReminderSweeps)
    _version_lock: threading.Lock = field(default_factory=threading.Lock)

    def incidents_changed(self) -> None:
        with self._version_lock:  # from several threads: the version only ever moves on
            self.incidents_version += 1
        for listener in self.incident_listeners:
            listener()

    def defer(self, use_case: Callable[..., object], /, *, tell: Teller | None = None, urgent: bool = False,
              **kwargs) -> None:
        """Run `use_case(bot, **kwargs)` after the ack: in the worker process if there is one, else on
        this process's threads. A failure is explained to the person through `tell`. `urgent` is for
        work bound to a trigger ID (opening a modal), which has its own pool."""
        if self.worker is not None:
            self.worker.submit(use_case, kwargs, tell=tell, urgent=urgent)
            return
        self.background.submit(lambda: use_case(self, **kwargs),
                               tell=(lambda text: tell(self, text)) if tell else None, urgent=urgent)

    def wait_idle(self, timeout: float = 10) -> bool:
        """True once all deferred work has finished (tests, benchmarks, the demo)."""
        if self.worker is not None:
            return self.worker.wait_idle(timeout)
        return self.background.wait_idle(timeout)
