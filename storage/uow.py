"""Unit of work: one transaction per use case (cosmicpython)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from storage import repositories as r
from storage.db import READ_ONLY


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False):
        self._factory = session_factory
        self._read_only = read_only

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._factory()
        if self._read_only:  # for reads on the ack path: on SQLite, no write lock is taken
            self.session.connection(execution_options={READ_ONLY: True})
        self.plans = r.PlanRepository(self.session)
        self.requests = r.RequestRepository(self.session)
        self.incidents = r.IncidentRepository(self.session)
        self.log = r.LogRepository(self.session)
        self.outbox = r.OutboxRepository(self.session)
        self.events = r.EventRepository(self.session)
        self.decisions = r.DecisionRepository(self.session)
        self.home = r.HomeRepository(self.session)
        self.governance = r.GovernanceRepository(self.session)
        self.reminders = r.ReminderClaimRepository(self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()  # no-op after commit; undoes anything left uncommitted
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()


def uow_factory(session_factory: sessionmaker[Session]) -> Callable[..., SqlUnitOfWork]:
    """`factory()` for a use case's transaction; `factory(read_only=True)` for one that only reads."""
    return lambda *, read_only=False: SqlUnitOfWork(session_factory, read_only=read_only)
