"""The doctor's look at the outbox: what waits for Slack and since when, and what is held (never retried)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.domain.incident import reference
from bot.domain.outbox import CHANNEL_UNUSABLE, GAVE_UP
from storage.repositories.outbox import OutboxRepository

SHOWN_HELD = 5


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "?"


def _engine(database_url: str) -> Engine:
    """Like the doctor's database check: a SQLite file is opened, never created, and not switched to WAL."""
    import sqlite3
    from urllib.parse import quote

    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from storage.db import make_engine

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return make_engine(database_url)
    uri = f"file:{quote(str(Path(url.database).resolve()))}?mode=rw"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)


def _fix(reason: str, channel: str | None) -> str:
    where = f"channel {channel}" if channel else "the channel"
    return {"is_archived": f"unarchive {where}: they go out by themselves",
            "not_in_channel": f"type `/invite @bcbot` in {where}: they go out by themselves",
            "channel_not_found": "the incident lead's DM has *Create a new channel*: they go out there",
            GAVE_UP: "given up: see the log for each (a bug or bad data)",
            }.get(reason, f"given up: Slack refuses them for good ({reason})")


def _subject(subject: str) -> str:
    kind, _, value = subject.partition(":")
    return reference(int(value)) if kind == "incident" and value.isdigit() else subject


def outbox_lines(database_url: str) -> list[tuple[str, str, str]]:
    """(status, detail, fix) lines: none when nothing waits; "ok" for a backlog Slack will take; a "warn"
    per incident (or other subject) and reason of what is held, with why and how to let it go."""
    engine = _engine(database_url)
    try:
        with Session(engine) as session:
            outbox = OutboxRepository(session)
            waiting, since, held_count = outbox.backlog()
            groups = outbox.held_groups(SHOWN_HELD)
    finally:
        engine.dispose()
    lines = []
    if waiting:
        lines.append(("ok", f"{waiting} Slack effect(s) waiting to go out, the oldest since {_when(since)} "
                            "(retried for as long as Slack is away)", ""))
    for subject, reason, channel, count, at in groups:
        why = (f"channel {channel} {CHANNEL_UNUSABLE[reason]}" if reason in CHANNEL_UNUSABLE
               else "failed too often" if reason == GAVE_UP else f"Slack answered {reason}")
        lines.append(("warn", f"{count} Slack effect(s) held, not retried, for {_subject(subject)}: {why}, "
                              f"since {_when(at)}", _fix(reason, channel)))
    shown = sum(group[3] for group in groups)
    if held_count > shown:
        lines.append(("warn", f"and {held_count - shown} more Slack effect(s) held", "see the log for each"))
    return lines
