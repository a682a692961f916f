"""What the repositories share: a row of `incidents` as a bot.domain.records value, the dialect's INSERT,
and the row count of an UPDATE."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.domain import records
from bot.domain.incident import IncidentState
from storage import models as m


def _incident(row: m.Incident | Row) -> records.Incident:
    """From an ORM object or a Core row of the table (same attribute names)."""
    return records.Incident(
        id=row.id, plan_key=row.plan_key, plan_version_id=row.plan_version_id, is_exercise=row.is_exercise,
        circumstance=row.circumstance, summary=row.summary, services=tuple(row.services or ()),
        lead_user_id=row.lead_user_id, activated_by=row.activated_by, approved_by=row.approved_by,
        state=IncidentState(row.state), channel_id=row.channel_id, channel_name=row.channel_name,
        header_ts=row.header_ts, announce_ts=row.announce_ts, activated_at=row.activated_at,
        phase_started_at=row.phase_started_at, stood_down_at=row.stood_down_at,
        closing_summary=row.closing_summary, next_update_due=row.next_update_due, nudged_for=row.nudged_for,
        confidential=row.confidential, disrupted_at=row.disrupted_at,
    )


def dialect_insert(session: Session, model: type[m.Base]) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (bcbot runs on SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched. Session.execute() returns a CursorResult for one, but is
    typed as returning the Result it subclasses, which has no rowcount."""
    return cast("CursorResult[Any]", result).rowcount
