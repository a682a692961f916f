"""A full disk, for SQLite: the database the ack path writes to may not grow by a page (PRAGMA max_page_count)
and its free space is used up. One helper, so the test follows the ack path's database wherever it lives."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from storage.intake import IntakeWriter


def _no_growth(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count = {pages}")
    cursor.close()


@contextmanager
def disk_full(writer) -> Iterator[None]:
    """The ack path's writer (`bot.record_intent`) finds its database full until the block ends (the space
    returns): the intake's own sqlite3 connections (storage/intake.py), or an engine's connections."""
    if not isinstance(writer, IntakeWriter):
        with engine_full(writer.engine):
            yield
        return
    writer.execute("CREATE TABLE IF NOT EXISTS test_filler (junk BLOB)")
    [(pages,)] = writer.execute("PRAGMA page_count")
    writer.pragma("max_page_count", pages)  # on each request thread's connection
    try:
        while True:  # use up the free space left in the pages it has
            try:
                writer.execute("INSERT INTO test_filler VALUES (randomblob(64))")
            except sqlite3.OperationalError as err:
                assert "full" in str(err), err
                break
        yield
    finally:
        writer.execute("DELETE FROM test_filler")
        writer.pragma("max_page_count", 1073741823)


@contextmanager
def engine_full(engine: Engine) -> Iterator[None]:
    """Every connection of `engine` finds the database full until the block ends (the space returns)."""
    assert engine.dialect.name == "sqlite", "max_page_count is SQLite's"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS test_filler (junk BLOB)"))
    engine.dispose()  # pooled connections were opened without the limit
    event.listen(engine, "connect", _no_growth)
    try:
        while True:  # use up the free space left in the pages it has
            try:
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO test_filler VALUES (randomblob(64))"))
            except OperationalError as err:
                assert "full" in str(err), err
                break
        yield
    finally:
        event.remove(engine, "connect", _no_growth)
        engine.dispose()
