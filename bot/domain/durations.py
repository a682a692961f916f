"""Durations as plan files write them: '30m', '2h', '1d', '1h30m'."""
from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def parse_duration(text: str) -> timedelta:
    """'30m', '2h', '1d', '1h30m' -> timedelta."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like 30m, 2h, 1d or 1h30m")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    delta = timedelta(days=days, hours=hours, minutes=minutes)
    if delta <= timedelta(0):
        raise ValueError("duration must be more than zero")
    return delta


def minutes(text: str | None) -> int | None:
    return int(parse_duration(text).total_seconds() // 60) if text else None


def spoken(total_minutes: int) -> str:
    """120 -> '2h', 1500 -> '1d 1h', 90 -> '1h 30m'."""
    days, rest = divmod(total_minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return " ".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "m")) if n) or "0m"
