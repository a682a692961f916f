"""Unit of work: one transaction per use case (cosmicpython)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from storage import repositories as r


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]):
        self._factory = session_factory

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._factory()
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


def uow_factory(session_factory: sessionmaker[Session]) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(session_factory)
