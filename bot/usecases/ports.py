"""What a use case is handed: the bot's parts (built once by the composition root) and the unit of work."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Protocol

from bot.domain.commands import ReplyTo, ViewRequest
from bot.domain.errors import NotFound
from bot.domain.outbox import ClaimedIntent
from bot.domain.plan import Person, Plan

if TYPE_CHECKING:  # types only: the use cases are handed these, they do not build them
    from config.settings import Settings
    from storage.repositories.actions import ActionRepository, ManagementReviewRepository
    from storage.repositories.events import EventRepository
    from storage.repositories.governance import GovernanceRepository, ReminderClaimRepository
    from storage.repositories.home import HomeRepository
    from storage.repositories.incidents import DecisionRepository, IncidentRepository, LogRepository
    from storage.repositories.intents import IntentRepository
    from storage.repositories.outbox import OutboxRepository
    from storage.repositories.parts import PlanPartRepository
    from storage.repositories.people import NameRepository
    from storage.repositories.plans import PlanRepository
    from storage.repositories.programme import ProgrammeRepository
    from storage.repositories.recovery import RecoveryRepository
    from storage.repositories.requests import RequestRepository
    from storage.repositories.roles import RoleRepository
    from storage.repositories.rollcalls import RollCallRepository, SlackPeopleRepository

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
    names: NameRepository
    rollcalls: RollCallRepository
    slack_people: SlackPeopleRepository
    roles: RoleRepository
    programme: ProgrammeRepository
    actions: ActionRepository
    reviews: ManagementReviewRepository
    plan_parts: PlanPartRepository
    recovery: RecoveryRepository

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

    def replace(self, plans: dict[str, Plan], version_ids: dict[str, int]) -> None:
        """Serve these plans from now on (the plan files changed): new dicts, so a reader that already
        holds the old ones (a reminder sweep's schedules) keeps a consistent set."""
        self.plans, self.version_ids = plans, version_ids

    def title(self, plan_key: str) -> str:
        plan = self.plans.get(plan_key)
        return plan.title if plan else plan_key


@dataclass
class PlanWatch:
    """What this process's look at the plan files remembers (bot.worker.plan_watch): the files' sizes and
    times at the last look that went through, so an unchanged folder costs a few stat calls."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: tuple | None = None


@dataclass
class ReminderSweeps:
    """What this process's reminder sweeps share (bot.worker.reminders): one sweep at a time, and each
    plan's reminder schedule, worked out once per plan catalog (written only under the lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    schedules: tuple | None = None  # (the catalog's plans dict, {plan ID: Schedule}, longest lead time in days)


class Directory:
    """Plan people -> Slack user IDs. Emails come resolved from the stored users.list sweep (`load`, see
    bot.worker.people); one not resolved yet is looked up once (users.lookupByEmail)."""

    def __init__(self, lookup_email: Callable[[str], str | None]):
        self._lookup = lookup_email
        self._by_email: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def load(self, resolved: dict[str, str | None]) -> list[str]:
        """What the last users.list sweep found (email, lower-cased -> user ID or None). The emails Slack does
        not know that nobody had said so of yet are returned, to be reported once."""
        with self._lock:
            news = sorted(e for e, uid in resolved.items() if uid is None and e not in self._by_email)
            self._by_email.update(resolved)
        return news

    def user_id(self, person: Person) -> str | None:
        if person.slack:
            return person.slack
        assert person.email
        email = person.email.lower()
        with self._lock:
            if email in self._by_email:
                return self._by_email[email]
        found = self._lookup(person.email)
        with self._lock:
            if found is None and email not in self._by_email:
                log.warning("plan person %s (%s) is not in this Slack workspace", person.name, person.email)
            self._by_email[email] = found
        return found

    def known_id(self, person: Person) -> str | None:
        """Their user ID as far as known without asking Slack (None: an email not resolved yet)."""
        with self._lock:
            return person.slack or self._by_email.get((person.email or "").lower())

    def known_ids(self, people: list[Person]) -> list[str]:
        """Their user IDs as far as known without asking Slack (the ack path may not wait for it)."""
        found = [self.known_id(p) for p in people]
        return [uid for uid in found if uid]

    def user_ids(self, people: list[Person]) -> list[str]:
        ids: list[str] = []
        for person in people:
            uid = self.user_id(person)
            if uid and uid not in ids:
                ids.append(uid)
        return ids


class IntentRecorder(Protocol):
    """The ack path's one write (storage.repositories.intents.IntentWriter): (intent ID, whether it is new).
    `intake`: the ID is an intake row's (storage/intake.py), not an `intents` row's."""

    intake: bool

    def __call__(self, *, kind: str, actor: str | None, payload: dict, dedupe_key: str, tell: dict,
                 now: datetime) -> tuple[int, bool]: ...


class IntakeQueue(Protocol):
    """Intents waiting in the intake file, as the worker sees them (storage.intake.Intake)."""

    def get(self, intake_id: int) -> tuple[ClaimedIntent, datetime] | None: ...
    def forget(self, intake_id: int) -> None: ...
    def failed_attempt(self, intake_id: int, *, retry_at: datetime) -> None: ...
    def unfinished(self, now: datetime) -> list[int]: ...
    def flush(self) -> int: ...
    def dispose(self) -> None: ...


class Background(Protocol):
    """This process's threads for work after the ack (bot.worker.runner.Background)."""

    def submit(self, fn: Callable[[], object], *, tell: Callable[[str], None] | None = None,
               urgent: bool = False, intents: bool = False) -> None: ...
    def pending(self) -> int: ...
    def wait_idle(self, timeout: float = 10) -> bool: ...
    def shutdown(self) -> None: ...


class WorkerPipe(Protocol):
    """The worker process, as the server sees it (bot.worker.process.WorkerProcess)."""

    def submit(self, request: ViewRequest, reply_to: ReplyTo | None, *, urgent: bool) -> None: ...
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


class Parts(Protocol):
    """What a use case is handed besides its unit of work: no Slack client (only the worker calls Slack;
    mypy refuses a use case that reaches for one). Slack reads a rule needs come as plain functions."""

    @property
    def settings(self) -> Settings: ...
    @property
    def plans(self) -> PlanCatalog: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def permalink(self) -> Callable[[str, str], str | None]: ...


class Reader(Parts, Protocol):
    """What the ack path's reads use (bot.usecases.reads): the database, and the status list kept between reads."""

    @property
    def uow(self) -> Callable[..., UnitOfWork]: ...
    @property
    def incidents_version(self) -> int: ...
    status_cache: tuple | None
    status_lock: threading.Lock
