"""Durations as plan files write them: '30m', '2h', '1d', '1h30m'."""
from __future__ import annotations

import re
from datetime import timedelta

_SPAN = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def span(text: str, units: str) -> timedelta | None:
    """'1h30m' -> timedelta, written with only the `units` ('dhms' at most), each once and in that order;
    None for anything else."""
    match = _SPAN.match(text or "")
    if not match or not any(match.groups()):
        return None
    if any(n is not None and unit not in units for n, unit in zip(match.groups(), "dhms", strict=True)):
        return None
    days, hours, mins, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=mins, seconds=seconds)


def parse_duration(text: str) -> timedelta:
    """'30m', '2h', '1d', '1h30m' -> timedelta."""
    delta = span(text, "dhm")
    if delta is None:
        raise ValueError(f"{text!r} is not a duration like 30m, 2h, 1d or 1h30m")
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
