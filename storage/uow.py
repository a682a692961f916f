"""Unit of work: one transaction per use case (cosmicpython)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY
from storage.repositories.events import EventRepository
from storage.repositories.governance import GovernanceRepository, ReminderClaimRepository
from storage.repositories.home import HomeRepository
from storage.repositories.incidents import DecisionRepository, IncidentRepository, LogRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.plans import PlanRepository
from storage.repositories.requests import RequestRepository


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False,
                 on_incidents_changed: Callable[[], None] | None = None):
        self._factory = session_factory
        self._read_only = read_only
        self._on_incidents_changed = on_incidents_changed

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._factory()
        if self._read_only:  # for reads on the ack path: on SQLite, no write lock is taken
            self.session.connection(execution_options={READ_ONLY: True})
        self.plans = PlanRepository(self.session)
        self.requests = RequestRepository(self.session)
        self.incidents = IncidentRepository(self.session)
        self.log = LogRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.events = EventRepository(self.session)
        self.decisions = DecisionRepository(self.session)
        self.home = HomeRepository(self.session)
        self.governance = GovernanceRepository(self.session)
        self.reminders = ReminderClaimRepository(self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()  # no-op after commit; undoes anything left uncommitted
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        if self.incidents.changed:  # after the commit: whoever hears of it reads the new rows
            self.incidents.changed = False
            if self._on_incidents_changed:
                self._on_incidents_changed()


def uow_factory(session_factory: sessionmaker[Session], *,
                on_incidents_changed: Callable[[], None] | None = None) -> Callable[..., SqlUnitOfWork]:
    """`factory()` for a use case's transaction; `factory(read_only=True)` for one that only reads.
    `on_incidents_changed()` is called after each commit that wrote an incident row."""
    return lambda *, read_only=False: SqlUnitOfWork(session_factory, read_only=read_only,
                                                    on_incidents_changed=on_incidents_changed)
