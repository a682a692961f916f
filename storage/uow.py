"""Unit of work: one transaction per use case (cosmicpython)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY
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


class SqlUnitOfWork:
    # Set by __enter__, one of each per transaction; declared here so that a type checker follows `uow.plans.x()`.
    session: Session
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

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False,
                 on_incidents_changed: Callable[[], None] | None = None,
                 on_outbox: Callable[[set[str]], None] | None = None):
        self._factory = session_factory
        self._read_only = read_only
        self._on_incidents_changed = on_incidents_changed
        self._on_outbox = on_outbox

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._factory()
        if self._read_only:  # for reads on the ack path: on SQLite, no write lock is taken
            self.session.connection(execution_options={READ_ONLY: True})
        self.plans = PlanRepository(self.session)
        self.requests = RequestRepository(self.session)
        self.incidents = IncidentRepository(self.session)
        self.log = LogRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.intents = IntentRepository(self.session)
        self.events = EventRepository(self.session)
        self.decisions = DecisionRepository(self.session)
        self.home = HomeRepository(self.session)
        self.governance = GovernanceRepository(self.session)
        self.reminders = ReminderClaimRepository(self.session)
        self.names = NameRepository(self.session)
        self.rollcalls = RollCallRepository(self.session)
        self.slack_people = SlackPeopleRepository(self.session)
        self.roles = RoleRepository(self.session)
        self.programme = ProgrammeRepository(self.session)
        self.actions = ActionRepository(self.session)
        self.reviews = ManagementReviewRepository(self.session)
        self.plan_parts = PlanPartRepository(self.session)
        self.recovery = RecoveryRepository(self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()  # no-op after commit; undoes anything left uncommitted
        finally:
            self.session.close()

    def rollback(self) -> None:
        """Undo what this transaction wrote so far: nothing of it is announced."""
        self.session.rollback()
        self.outbox.touched = set()
        self.incidents.changed = False

    def commit(self) -> None:
        self.session.commit()
        touched, self.outbox.touched = self.outbox.touched, set()
        if touched and self._on_outbox:  # the new work can start now (the sweep would find it anyway)
            self._on_outbox(touched)
        if self.incidents.changed:  # after the commit: whoever hears of it reads the new rows
            self.incidents.changed = False
            if self._on_incidents_changed:
                self._on_incidents_changed()


def uow_factory(session_factory: sessionmaker[Session], *,
                on_incidents_changed: Callable[[], None] | None = None,
                on_outbox: Callable[[set[str]], None] | None = None) -> Callable[..., SqlUnitOfWork]:
    """`factory()` for a use case's transaction; `factory(read_only=True)` for one that only reads.
    After each commit, `on_incidents_changed()` is called if it wrote an incident row, and
    `on_outbox(subjects)` with the subjects it gave outbox work."""
    return lambda *, read_only=False: SqlUnitOfWork(session_factory, read_only=read_only,
                                                    on_incidents_changed=on_incidents_changed, on_outbox=on_outbox)
