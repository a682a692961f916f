"""The roles' part of an incident report (bot.domain.report): who held each role at the end, whom the plan named,
and every hand-over (cover asked, accepted, declined, no one left) from the incident log. Pure; and its Markdown."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.people import Names
from bot.domain.records import LogEntry
from bot.domain.report_times import report_times as _times
from bot.domain.roles import IncidentRole

HANDOVER_KINDS = ("role_cover_asked", "role_handed_over", "role_uncovered")



def section(roles: list[IncidentRole], entries: list[LogEntry], tz: ZoneInfo, names: Names | None = None) -> list[dict]:
    names = names or Names()
    out = []
    for role in roles:
        moves = [e for e in entries if e.kind in HANDOVER_KINDS and (e.data or {}).get("role") == role.name]
        out.append({
            "name": role.name, "state": role.state.value,
            "plan_holder": role.plan_holder, "plan_holder_name": names.at(role.plan_holder, role.holder_since),
            "holder": role.holder, "holder_name": names.at(role.holder, role.holder_since),
            "holder_since": _times(role.holder_since, tz),
            "handovers": [{"at": _times(e.at, tz), "kind": e.kind, "by": e.actor, "by_name": names.at(e.actor, e.at),
                           "what": names.text(e.summary, e.at)} for e in moves],
        })
    return out


def markdown(roles: list[dict] | None, *, md_inline, when) -> list[str]:
    """The report's "Roles and cover" section (the report's own helpers passed in: escaping, times)."""
    if not roles:
        return []
    lines = ["## Roles and cover", "", "| Role | Held by | Plan names | State |", "|---|---|---|---|"]
    for r in roles:
        lines.append(f"| {md_inline(r['name'])} | {md_inline(r['holder_name'] or r['holder'] or '—')} | "
                     f"{md_inline(r['plan_holder_name'] or r['plan_holder'] or '—')} | {r['state']} |")
    moves = [(r, h) for r in roles for h in r["handovers"]]
    if moves:
        lines += ["", "Hand-overs, in order:", ""]
        for _, h in sorted(moves, key=lambda m: m[1]["at"]["utc"]):
            lines.append(f"- {when(h['at'])}: {md_inline(h['what'])}")
    return lines + [""]
