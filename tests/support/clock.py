"""A clock the tests move by hand: no sleeps."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self._now = start or datetime.now(timezone.utc).replace(microsecond=0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now
