"""The schema check behind /healthz and doctor: what the models have and the database lacks."""
from __future__ import annotations

from sqlalchemy import text

from storage.migrate import head_revision
from storage.schema import SchemaCheck, missing


def test_a_migrated_database_lacks_nothing(engine):
    assert missing(engine) == []
    assert SchemaCheck(engine).problem() is None


def test_a_dropped_column_is_named_and_a_probe_reads_the_schema_at_most_once_a_minute(engine):
    now = [0.0]
    check = SchemaCheck(engine, clock=lambda: now[0])
    assert check.problem() is None
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE plan_tests DROP COLUMN notes"))
    now[0] = 59.0
    assert check.problem() is None  # still the answer read a minute ago
    now[0] = 60.0
    problem = check.problem()
    assert problem is not None and problem.startswith(
        f"at the latest migration ({head_revision()}) but the schema lacks column plan_tests.notes: ")
