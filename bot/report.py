"""The incident report: timeline, decisions, steps per phase, durations, plan version.

The JSON shape is documented in docs/report-format.md and kept stable (`format_version`).
"""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import NotFound
from bot.incident import STATE_LABELS, parse_reference, reference
from bot.plan import PHASE_ORDER
from bot.records import StepStatus

FORMAT_VERSION = 1


def _times(at: datetime | None, tz: ZoneInfo) -> dict | None:
    if at is None:
        return None
    return {"utc": at.isoformat(), "local": at.astimezone(tz).isoformat()}


def build_report(uow_factory, incident_ref: str, *, tz: ZoneInfo) -> dict:
    incident_id = parse_reference(incident_ref)
    if incident_id is None:
        raise NotFound(f"{incident_ref!r} is not an incident reference like BC-12.")
    with uow_factory() as uow:
        incident = uow.incidents.find(incident_id)
        if incident is None:
            raise NotFound(f"There is no incident {reference(incident_id)}.")
        plan = uow.plans.snapshot(incident.plan_version_id)
        plan_hash = uow.plans.content_hash(incident.plan_version_id)
        steps = uow.incidents.steps(incident_id)
        entries = uow.log.entries(incident_id)
    phase_started = {PHASE_ORDER[0].value: incident.activated_at}
    for e in entries:
        if e.kind == "phase_changed" and e.data.get("to"):
            phase_started.setdefault(e.data["to"], e.at)

    def since_activation(at: datetime | None) -> int | None:
        return int((at - incident.activated_at).total_seconds()) if at else None

    return {
        "format_version": FORMAT_VERSION,
        "incident": {
            "reference": incident.ref, "exercise": incident.is_exercise, "circumstance": incident.circumstance,
            "summary": incident.summary, "services": list(incident.services), "lead": incident.lead_user_id,
            "activated_by": incident.activated_by, "approved_by": incident.approved_by,
            "state": incident.state.value, "channel": incident.channel_id,
            "activated_at": _times(incident.activated_at, tz), "stood_down_at": _times(incident.stood_down_at, tz),
        },
        "plan": {"id": plan.id, "title": plan.title, "version": plan_hash},
        "durations_seconds": {
            **{f"to_{phase.value}": since_activation(phase_started.get(phase.value)) for phase in PHASE_ORDER},
            "to_stand_down": since_activation(incident.stood_down_at),
        },
        "timeline": [
            {"at": _times(e.at, tz), "who": e.actor, "kind": e.kind, "what": e.summary, "data": e.data} for e in entries
        ],
        "decisions": [
            {"number": e.data.get("number"), "at": _times(e.at, tz), "who": e.actor, "decision": e.data.get("decision"),
             "rationale": e.data.get("rationale"), "options": e.data.get("options"), "decided_by": e.data.get("decided_by"),
             "corrects": e.data.get("corrects")}
            for e in entries if e.kind == "decision"
        ],
        "status_updates": [
            {"at": _times(e.at, tz), "who": e.actor, "situation": e.data.get("situation"),
             "actions": e.data.get("actions"), "next_update_due": e.data.get("next_update_due")}
            for e in entries if e.kind == "status_update"
        ],
        "phases": [
            {"key": phase.value, "title": plan.phase(phase).title,
             "started_at": _times(phase_started.get(phase.value), tz),
             "steps": [{"position": s.position, "title": s.title, "status": s.status.value, "by": s.changed_by,
                        "at": _times(s.changed_at, tz), "assignee": s.assignee, "note": s.note,
                        "na_reason": s.na_reason}
                       for s in steps if s.phase == phase.value]}
            for phase in PHASE_ORDER
        ],
    }


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False)


def _who(user: str | None) -> str:
    return user or "bcbot"


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m"


def render_markdown(report: dict) -> str:
    inc, plan = report["incident"], report["plan"]
    title = f"# {'Exercise' if inc['exercise'] else 'Incident'} report: {inc['reference']} — {plan['title']}"
    lines = [
        title, "",
        f"- **Circumstance:** {inc['circumstance']}",
        f"- **What happened:** {inc['summary']}",
        f"- **Services affected:** {', '.join(inc['services']) or '—'}",
        f"- **Incident lead:** {inc['lead']}",
        f"- **Activated:** {inc['activated_at']['utc']} UTC by {inc['activated_by']}"
        + (f" (approved by {inc['approved_by']})" if inc["approved_by"] else ""),
        f"- **Status:** {STATE_LABELS[inc['state']]}"
        + (f" at {inc['stood_down_at']['utc']}" if inc["stood_down_at"] else ""),
        f"- **Plan version:** `{plan['version'][:12]}` ({plan['id']})",
        "", "## Time to each phase", "",
        "| Milestone | Time from activation |", "|---|---|",
    ]
    for key, seconds in report["durations_seconds"].items():
        lines.append(f"| {key.removeprefix('to_').replace('_', ' ').capitalize()} | {_duration(seconds)} |")
    lines += ["", "## Decisions", ""]
    if report["decisions"]:
        for d in report["decisions"]:
            corrects = f" (corrects D{d['corrects']})" if d.get("corrects") else ""
            lines.append(f"- **D{d['number']}**{corrects} {d['at']['utc']} — {d['decision']}"
                         + (f" — rationale: {d['rationale']}" if d.get("rationale") else "")
                         + f" — decided by {_who(d.get('decided_by') or d['who'])}")
    else:
        lines.append("No decisions were logged.")
    lines += ["", "## Status updates", ""]
    if report["status_updates"]:
        for u in report["status_updates"]:
            lines.append(f"- {u['at']['utc']} by {_who(u['who'])}: {u['situation']}"
                         + (f" — in progress: {u['actions']}" if u.get("actions") else ""))
    else:
        lines.append("No status updates were posted.")
    lines += ["", "## Checklist", ""]
    for phase in report["phases"]:
        done = sum(s["status"] != StepStatus.OPEN.value for s in phase["steps"])
        lines += [f"### {phase['title']} ({done}/{len(phase['steps'])})", ""]
        for s in phase["steps"]:
            mark = {"done": "x", "na": "-"}.get(s["status"], " ")
            extra = f" — {s['status']} by {_who(s['by'])} at {s['at']['utc']}" if s["at"] and s["status"] != "open" else ""
            if s.get("na_reason"):
                extra += f" (reason: {s['na_reason']})"
            lines.append(f"- [{mark}] {s['position']}. {s['title']}{extra}")
        lines.append("")
    lines += ["## Timeline", "", "| UTC | Local | Who | What |", "|---|---|---|---|"]
    for e in report["timeline"]:
        what = e["what"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {e['at']['utc'][:19]} | {e['at']['local'][:19]} | {_who(e['who'])} | {what} |")
    return "\n".join(lines) + "\n"
