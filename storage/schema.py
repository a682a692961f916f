"""Whether the live database has what the code needs: every table and column of `storage.models`.

The revision alone can say "latest" over a schema that lacks columns (a migration edited after release, a
column dropped by hand); this reads the schema itself, with SQLAlchemy's inspector.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from sqlalchemy import Engine, inspect

from storage.models import Base

# /healthz is probed every few seconds; the catalogue is read at most this often per process.
RECHECK_SECONDS = 60.0


def missing(engine: Engine) -> list[str]:
    """What the models have and the database lacks: `table T` or `column T.C`, in the models' order."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        tables = set(inspector.get_table_names())
        gaps = []
        for table in Base.metadata.sorted_tables:
            if table.name not in tables:
                gaps.append(f"table {table.name}")
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            gaps.extend(f"column {table.name}.{c.name}" for c in table.columns if c.name not in have)
        return gaps


def describe(gaps: list[str], *, current: str | None, head: str | None) -> tuple[str, str]:
    """(what is wrong, what to do) for a schema that lacks `gaps`."""
    shown = ", ".join(gaps[:5]) + (f" and {len(gaps) - 5} more" if len(gaps) > 5 else "")
    if current != head:
        return (f"at migration {current or 'none'}, the schema lacks {shown}",
                "run `bcbot db upgrade` (bcbot serve also does it at start)")
    return (f"at the latest migration ({head}) but the schema lacks {shown}",
            "it was changed outside bcbot's migrations, so `bcbot db upgrade` has nothing to run: restore the "
            "database from a backup, or add what is missing as storage/models.py describes it")


class SchemaCheck:
    """`problem()`: why the schema cannot serve (what and the fix, one line), or None; read at most once every
    `every` seconds. A database that cannot be read says nothing here: the ping reports it."""

    def __init__(self, engine: Engine, *, every: float = RECHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self._engine, self._every, self._clock = engine, every, clock
        self._lock = threading.Lock()
        self._last: tuple[float, str | None] | None = None

    def problem(self) -> str | None:
        with self._lock:
            if self._last is not None and self._clock() - self._last[0] < self._every:
                return self._last[1]
            try:
                found = self._read()
            except Exception:
                return None  # unreachable: not cached, so the next probe looks again
            self._last = (self._clock(), found)
            return found

    def _read(self) -> str | None:
        from storage.migrate import current_revision, head_revision

        gaps = missing(self._engine)
        if not gaps:
            return None
        what, fix = describe(gaps, current=current_revision(self._engine), head=head_revision())
        return f"{what}: {fix}"
