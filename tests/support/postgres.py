"""A fresh PostgreSQL schema per test, or a skip with the reason."""
from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("BCBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_schema_url():
    """Yield a URL whose search_path is a new empty schema; drop it afterwards."""
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text
    except ImportError:
        pytest.skip("psycopg is not installed (pip install '.[test]')")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:
        admin.dispose()
        reason = f"no PostgreSQL answering at {PG_URL}: {type(err).__name__}"
        if os.environ.get("CI"):  # CI starts PostgreSQL (.ci/run): a case skipped there would hide a failure
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
