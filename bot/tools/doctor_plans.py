"""The doctor's look at the plans served from the database: a plan whose file broke (or went) is served at
its last valid version, and says so with the file's first problem."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.tools.doctor_outbox import _engine, _when
from storage.repositories.plans import PlanRepository


def served_rows(database_url: str) -> list:
    """The plan_served rows, or none when the database (or its SQLite file, or the table) is not there yet."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        return []
    try:
        engine = _engine(database_url)
    except Exception:
        return []
    try:
        with Session(engine) as session:
            rows = list(PlanRepository(session).served().values())
            session.expunge_all()
            return rows
    except Exception:  # unreachable, or before migration 0009: nothing on record (the database check says why)
        return []
    finally:
        engine.dispose()


def served_lines(database_url: str) -> list[tuple[str, str, str]]:
    """(status, detail, fix): one "warn" per plan served at its last valid version because its file is broken."""
    return [("warn", f"plan {row.plan_key} is served at its last valid version (version {row.version_id}) since "
             f"{_when(row.broken_since)}: {row.broken_problem}",
             "correct the file (`bcbot plan check` lists every problem); bcbot picks it up without a restart")
            for row in served_rows(database_url) if row.broken_problem]
