"""How every part of an incident report writes a time: UTC and the report's local zone, side by side."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def report_times(at: datetime | None, tz: ZoneInfo) -> dict | None:
    if at is None:
        return None
    return {"utc": at.astimezone(ZoneInfo("UTC")).isoformat(), "local": at.astimezone(tz).isoformat()}
