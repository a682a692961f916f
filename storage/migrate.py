"""Schema migrations through Alembic, safe when several bot processes start at once."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 32-bit number: with the schema's hash, the key of PostgreSQL's advisory lock that serialises
# migrations of one schema (advisory locks are per database; other schemas' migrations need not wait).
PG_MIGRATION_LOCK = 0x6263626F


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


@contextmanager
def _sqlite_file_lock(engine: Engine):
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    # filelock: flock on Linux and macOS, msvcrt's lock on Windows, so `bcbot db upgrade` runs anywhere.
    with FileLock(f"{database}.migrate-lock"):
        yield


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; concurrent callers wait for each other."""
    if revision == "head" and _stamped(engine) == newest_revision():
        return  # every start lands here: Alembic would load all the migration files to find nothing to do

    def run(cfg: Config) -> None:
        restamp_known_bad(cfg.attributes["connection"])
        command.upgrade(cfg, revision)

    _migrate(engine, run)


def restamp_known_bad(conn: Connection) -> None:
    """Correct a stamp that names the wrong schema, recognised by the schema itself, before Alembic reads it.

    One is known: a database made at 4f255ad ("WIP durable road") is stamped `0005`, but that work-in-progress
    0005 made the intents and outbox tables (and the decision counter), released as 0006; the released 0005
    makes no `intents` table. Left as it is, upgrading runs 0006 and fails on "table intents already exists".
    Such a database is at 0006; 0007 renames the one constraint it names differently. Runs in the
    migration's transaction, under its lock.
    """
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables and "intents" in tables:
        conn.execute(text("UPDATE alembic_version SET version_num = '0006' WHERE version_num = '0005'"))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


def _migrate(engine: Engine, run) -> None:
    cfg = alembic_config(engine)
    if engine.dialect.name == "sqlite":
        with _sqlite_file_lock(engine), engine.connect() as conn:
            # Batch mode rebuilds a table by copy, drop and rename: with foreign keys on, dropping a parent
            # fails or cascades into its children. Off for the migration (it must be set outside a
            # transaction, so on the raw connection before anything begins), checked after, then on again.
            raw = conn.connection.dbapi_connection
            assert raw is not None  # a checked-out connection always has its DBAPI connection
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                cfg.attributes["connection"] = conn
                run(cfg)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
                conn.commit()
            finally:
                conn.rollback()
                raw.execute("PRAGMA foreign_keys=ON")
        return
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({PG_MIGRATION_LOCK}, hashtext(current_schema()))")
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            run(cfg)
            conn.commit()
        finally:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_MIGRATION_LOCK}, hashtext(current_schema()))")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def newest_revision() -> str:
    """The head, read from the file names: each migration's revision is its number (a test holds this)."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _stamped(engine: Engine) -> str | None:
    """The database's revision, or None where it has none (or cannot say: the full road then decides)."""
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except SQLAlchemyError:
        return None


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
