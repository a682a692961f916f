"""The bot's database, for a command that only reads it (or writes a little, like `bcbot roles send`): opened
only if it exists and has bcbot's tables, never created."""
from __future__ import annotations

import logging
from pathlib import Path


def has_bcbot_tables(path: Path) -> bool:
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def existing_database(database_url: str):
    """An engine on the bot's database for a command that only reads it, or (None, the one line that says
    which database was looked at and how to point at the right one). Creates nothing: a missing SQLite
    file is not made, and a database without bcbot's tables is not upgraded into a second, empty one."""
    from sqlalchemy.engine import make_url

    from storage.db import make_engine
    from storage.migrate import current_revision

    logging.getLogger("alembic").setLevel(logging.WARNING)  # reading the revision is not news for a reader
    url = make_url(database_url)
    where = url.render_as_string(hide_password=True)
    fix = ("run bcbot from the folder holding the bot's .env (or one below it), set BCBOT_HOME to that folder, "
           "or set DATABASE_URL to the bot's database")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database).resolve()
        if not path.exists():
            return None, f"no bcbot database at {path} (DATABASE_URL {where}): {fix}"
        if not has_bcbot_tables(path):  # looked at read-only: not even switched to WAL
            return None, f"the database {path} has no bcbot tables: {fix}"
    engine = make_engine(database_url)
    try:
        revision = current_revision(engine)
    except Exception as err:
        engine.dispose()
        return None, f"cannot read the database {where}: {str(err).splitlines()[0][:200]} ({fix})"
    if revision is None:
        engine.dispose()
        return None, f"the database {where} has no bcbot tables: {fix}"
    return engine, None
