"""The services' part of an incident report (bot.domain.report): per affected service its objectives, when the
disruption started, when it was recovered and whether its RTO and MTPD were met. Pure; and its Markdown."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.durations import spoken
from bot.domain.people import Names
from bot.domain.recovery import AffectedService, in_recovery_order, outcome
from bot.domain.report_times import report_times as _times


def _outcome(due: datetime | None, recovered_at: datetime | None, told: datetime | None) -> str | None:
    """As bot.domain.recovery.outcome, with "passed" read from the record (the breach was told), not a clock:
    the report of an open incident gives the same bytes for the same record."""
    found = outcome(due, recovered_at, passed=told is not None)
    return found.value if found else None


def section(services: list[AffectedService], tz: ZoneInfo, names: Names | None = None) -> list[dict]:
    names = names or Names()
    return [{
        "name": s.name, "priority": s.priority, "rto_minutes": s.rto_minutes, "mtpd_minutes": s.mtpd_minutes,
        "disrupted_at": _times(s.disrupted_at, tz), "rto_due": _times(s.rto_due_at, tz),
        "mtpd_due": _times(s.mtpd_due_at, tz), "recovered_at": _times(s.recovered_at, tz),
        "recovered_by": s.recovered_by, "recovered_by_name": names.at(s.recovered_by, s.recovered_at),
        "downtime_seconds": int((s.recovered_at - s.disrupted_at).total_seconds()) if s.recovered_at else None,
        "rto": _outcome(s.rto_due_at, s.recovered_at, s.rto_told_at),
        "mtpd": _outcome(s.mtpd_due_at, s.recovered_at, s.mtpd_told_at),
        "added_at": _times(s.added_at, tz), "removed_at": _times(s.removed_at, tz),
    } for s in in_recovery_order(services)]


_SAID = {"met": "met ✅", "missed": "missed ❌", "running": "running", None: "—"}


def markdown(services: list[dict] | None, *, md_inline, when) -> list[str]:
    """The report's "Services and recovery objectives" section (the report's own helpers passed in)."""
    if not services:
        return []
    lines = ["## Services and recovery objectives", "",
             "| Service | Priority | RTO | MTPD | Disrupted | Recovered | RTO met | MTPD met |",
             "|---|---|---|---|---|---|---|---|"]
    for s in services:
        rto = spoken(s["rto_minutes"]) if s["rto_minutes"] else "—"
        mtpd = spoken(s["mtpd_minutes"]) if s["mtpd_minutes"] else "—"
        recovered = when(s["recovered_at"]) if s["recovered_at"] else "not yet"
        name = md_inline(s["name"]) + (" (taken off)" if s["removed_at"] else "")
        lines.append(f"| {name} | {s['priority'] or '—'} | {rto} | {mtpd} | {when(s['disrupted_at'])} | {recovered} | "
                     f"{_SAID[s['rto']]} | {_SAID[s['mtpd']]} |")
    return lines + [""]
