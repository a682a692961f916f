"""Events API event IDs already handled: Slack's retries are dropped."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import models as m


class EventRepository:
    def __init__(self, session: Session):
        self.s = session

    def first_time(self, event_id: str, now: datetime) -> bool:
        """Record an Events API event ID; False when Slack is retrying one already handled."""
        try:
            with self.s.begin_nested():
                self.s.add(m.ProcessedEvent(event_id=event_id, received_at=now))
        except IntegrityError:
            return False
        return True
