"""The incident report: timeline, decision register, steps per phase, status updates, durations, plan version.

`build_report` reads one incident through a unit of work and `assemble` turns the records into a plain
dict; `render_json` and `render_markdown` print it. The JSON shape is documented field by field in
docs/report-format.md and kept stable: a change that removes or changes the meaning of a field bumps
`FORMAT_VERSION`. The same data always gives the same bytes (no generation time, sorted keys).
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import action_register, report_recovery, report_roles, report_rollcall
from bot.domain.errors import NotFound
from bot.domain.incident import STATE_LABELS, IncidentState, is_open, parse_reference, reference
from bot.domain.people import USER_ID_IN_TEXT, Names, ids_in
from bot.domain.plan import PHASE_ORDER, Plan
from bot.domain.records import Decision, Incident, LogEntry, Step, StepStatus
from bot.domain.report_times import report_times as _times
from bot.domain.text import clean

FORMAT_VERSION = 1
STEP_KINDS = ("step_done", "step_reopened", "step_na", "step_assigned", "step_note")
EXERCISE_REPORT_PARTS = (("objectives_met", "Objectives met"), ("what_worked", "What worked"),
                         ("gaps", "Gaps found"), ("actions", "Follow-up actions"))


# Building --------------------------------------------------------------------------------------------
def build_report(uow_factory, incident_ref: str | int, *, tz: ZoneInfo) -> dict:
    """The report of one incident, by reference ('BC-12', 'bc12', '12') or ID."""
    incident_id = incident_ref if isinstance(incident_ref, int) else parse_reference(incident_ref)
    if incident_id is None:
        raise NotFound(f"{incident_ref!r} is not an incident reference like BC-12.")
    with uow_factory() as uow:
        incident = uow.incidents.find(incident_id)
        if incident is None:
            raise NotFound(f"There is no incident {reference(incident_id)}.")
        plan = uow.plans.snapshot(incident.plan_version_id)
        plan_version = uow.plans.content_hash(incident.plan_version_id)
        steps = uow.incidents.steps(incident_id)
        entries = uow.log.entries(incident_id)
        decisions = uow.decisions.list(incident_id)
        roles = uow.roles.of_incident(incident_id)
        roll_call = uow.rollcalls.of_incident(incident_id)
        asked = uow.rollcalls.people(roll_call.id) if roll_call else []
        answers = uow.rollcalls.answers(roll_call.id) if roll_call else []
        services = uow.recovery.of_incident(incident_id, removed=True)
        actions = uow.actions.of_incident(incident_id)
        # Everyone the report names, looked up once.
        names = uow.names.history(ids_in(
            (incident.lead_user_id, incident.activated_by, incident.approved_by), (e.actor for e in entries),
            (d.decided_by for d in decisions), (d.logged_by for d in decisions), (s.changed_by for s in steps),
            (s.assignee for s in steps), *(USER_ID_IN_TEXT.findall(e.summary) for e in entries),
            (a.recorded_by for a in answers), (a.user_id for a in answers), (p.user_id for p in asked),
            (r.holder for r in roles), (r.plan_holder for r in roles), (s.recovered_by for s in services),
            (a.owner for a in actions), (a.closed_by for a in actions), (a.created_by for a in actions)))
    report = assemble(incident=incident, plan=plan, plan_version=plan_version, steps=steps, entries=entries,
                      decisions=decisions, tz=tz, names=names)
    report["roll_call"] = report_rollcall.section(roll_call, asked, answers, tz, names) if roll_call else None
    report["roles"] = report_roles.section(roles, entries, tz, names)
    report["actions"] = [action_register.entry(a, names) for a in actions]
    report["incident"]["disrupted_at"] = _times(incident.disruption_start, tz)
    report["services"] = report_recovery.section(services, tz, names)
    return report



def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))


def assemble(*, incident: Incident, plan: Plan, plan_version: str, steps: list[Step], entries: list[LogEntry],
             decisions: list[Decision], tz: ZoneInfo, names: Names | None = None) -> dict:
    """The report as plain data (pure: records in, dict out). Each person is named as they were called at
    the record's time (`names`); the IDs stay beside the names."""
    names = names or Names()

    def seconds_since_activation(at: datetime | None) -> int | None:
        return int((at - incident.activated_at).total_seconds()) if at else None

    # When each phase started, from the log; the current phase falls back on the incident's own record.
    started: dict[str, datetime] = {PHASE_ORDER[0].value: incident.activated_at}
    carried: dict[str, list[int]] = {}
    for e in entries:
        if e.kind == "phase_changed":
            if isinstance(e.data.get("to"), str):
                started.setdefault(e.data["to"], e.at)
            if isinstance(e.data.get("from"), str):
                carried[e.data["from"]] = [p for p in e.data.get("carried_over") or [] if isinstance(p, int)]
    if is_open(incident.state):
        started.setdefault(incident.state.value, incident.phase_started_at)

    history: dict[int, list[dict]] = {}
    for e in entries:
        if e.kind in STEP_KINDS and isinstance(e.data.get("step_id"), int):
            item = {"at": _times(e.at, tz), "who": e.actor, "who_name": names.at(e.actor, e.at), "kind": e.kind}
            item |= {k: e.data[k] for k in ("assignee", "note", "reason") if k in e.data}
            history.setdefault(e.data["step_id"], []).append(item)

    phases = []
    for index, phase in enumerate(PHASE_ORDER):
        key = phase.value
        start = started.get(key)
        later = [started[p.value] for p in PHASE_ORDER[index + 1:] if p.value in started]
        end = min(later) if later else (incident.stood_down_at if start else None)
        phase_steps = [s for s in steps if s.phase == key]
        counts = {status: sum(s.status is status for s in phase_steps) for status in StepStatus}
        phases.append({
            "key": key,
            "title": plan.phase(phase).title,
            "reached": start is not None,
            "started_at": _times(start, tz),
            "ended_at": _times(end, tz),
            "from_activation_seconds": seconds_since_activation(start),
            "duration_seconds": int((end - start).total_seconds()) if start and end else None,
            "progress": {"done": counts[StepStatus.DONE], "not_applicable": counts[StepStatus.NOT_APPLICABLE],
                         "open": counts[StepStatus.OPEN], "total": len(phase_steps)},
            "carried_over": carried.get(key, []),
            "steps": [{
                "position": s.position, "title": s.title, "owner_role": s.owner_role, "status": s.status.value,
                "changed_by": s.changed_by, "changed_by_name": names.at(s.changed_by, s.changed_at),
                "changed_at": _times(s.changed_at, tz),
                "due_at": _times(s.due_at(start), tz) if start else None,
                "assignee": s.assignee, "assignee_name": names.at(s.assignee, s.changed_at), "note": s.note,
                "na_reason": s.na_reason,
                "history": history.get(s.id, []),
            } for s in sorted(phase_steps, key=lambda s: s.position)],
        })

    corrected_by: dict[int, list[int]] = {}
    for d in decisions:
        if d.corrects is not None:
            corrected_by.setdefault(d.corrects, []).append(d.number)

    stand_down = None
    if incident.stood_down_at is not None or incident.state is IncidentState.STOOD_DOWN:
        entry = next((e for e in reversed(entries) if e.kind == "stood_down"), None)
        exercise_report = entry.data.get("exercise_report") if entry else None
        stand_down = {
            "at": _times(incident.stood_down_at or (entry.at if entry else None), tz),
            "by": entry.actor if entry else None,
            "by_name": names.at(entry.actor, entry.at) if entry else None,
            "closing_summary": incident.closing_summary or (entry.data.get("closing_summary") if entry else None),
            "exercise_report": exercise_report if isinstance(exercise_report, dict) else None,
        }

    return {
        "format_version": FORMAT_VERSION,
        "timezone": getattr(tz, "key", None) or str(tz),
        "incident": {
            "reference": incident.ref, "id": incident.id, "exercise": incident.is_exercise,
            "circumstance": incident.circumstance, "summary": incident.summary, "services": list(incident.services),
            "lead": incident.lead_user_id, "activated_by": incident.activated_by, "approved_by": incident.approved_by,
            "lead_name": names.at(incident.lead_user_id, incident.activated_at),
            "activated_by_name": names.at(incident.activated_by, incident.activated_at),
            "approved_by_name": names.at(incident.approved_by, incident.activated_at),
            "state": incident.state.value, "state_label": STATE_LABELS[incident.state], "open": is_open(incident.state),
            "channel": {"id": incident.channel_id, "name": incident.channel_name},
            "activated_at": _times(incident.activated_at, tz), "stood_down_at": _times(incident.stood_down_at, tz),
            "closing_summary": incident.closing_summary,
        },
        "plan": {"id": plan.id, "title": plan.title, "organisation": plan.organisation, "version": plan_version},
        "durations_seconds": {
            **{f"to_{phase.value}": seconds_since_activation(started.get(phase.value)) for phase in PHASE_ORDER},
            "to_stand_down": seconds_since_activation(incident.stood_down_at),
        },
        "phases": phases,
        "decisions": [{
            "number": d.number, "label": f"D{d.number}", "at": _times(d.at, tz), "decision": d.decision,
            "rationale": d.rationale, "options": d.options, "decided_by": d.decided_by, "logged_by": d.logged_by,
            "decided_by_name": names.at(d.decided_by, d.at), "logged_by_name": names.at(d.logged_by, d.at),
            "corrects": d.corrects, "corrected_by": corrected_by.get(d.number, []), "source_link": d.source_link,
        } for d in sorted(decisions, key=lambda d: d.number)],
        "status_updates": [{
            "at": _times(e.at, tz), "who": e.actor, "who_name": names.at(e.actor, e.at),
            "situation": e.data.get("situation"),
            "actions": e.data.get("actions"),
            "next_update_due": _times(_parse_time(e.data.get("next_update_due")), tz),
        } for e in entries if e.kind == "status_update"],
        "stand_down": stand_down,
        "timeline": [{"id": e.id, "at": _times(e.at, tz), "who": e.actor, "who_name": names.at(e.actor, e.at),
                      "kind": e.kind, "what": names.text(e.summary, e.at), "data": e.data} for e in entries],
    }


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False)


# Markdown -------------------------------------------------------------------------------------------
_SPECIAL = re.compile(r"([\\`<>\[\]|])")
# What would start a heading, quote, list, rule or code block at the start of a line.
_LINE_START = re.compile(r"^([#>+*=_-])")
_ORDERED = re.compile(r"^(\d+)([.)])")


def md_inline(text: str | None) -> str:
    """User text on one line (a table cell, a list item): Markdown-significant characters escaped,
    `|` included, and newlines folded into spaces so nothing breaks out of its cell or item."""
    folded = " ".join(clean(text).split())
    escaped = _SPECIAL.sub(r"\\\1", folded)
    return _ORDERED.sub(r"\1\\\2", _LINE_START.sub(r"\\\1", escaped))


def md_text(text: str | None, indent: str = "") -> str:
    """User text over several lines (hard line breaks kept), each line escaped like `md_inline`."""
    lines = [md_inline(line) for line in clean(text).splitlines()]
    return ("  \n" + indent).join(line for line in lines if line) or "—"


def _link(url: str | None) -> str:
    if url and re.fullmatch(r"https?://[^\s<>]+", url):
        return f"<{url}>"
    return md_inline(url)


def _who(user: str | None, name: str | None = None) -> str:
    """A person by the name they had then; their Slack ID only if bcbot never learned a name."""
    return md_inline(name or user) if user else "bcbot"


def _dt(times: dict, key: str) -> datetime:
    return datetime.fromisoformat(times[key])


def _when(times: dict | None, tz_name: str) -> str:
    """'2026-11-22 09:30 UTC (10:30 Europe/London)'."""
    if not times:
        return "—"
    utc, local = _dt(times, "utc"), _dt(times, "local")
    text = f"{utc:%Y-%m-%d %H:%M} UTC"
    if tz_name != "UTC":
        text += f" ({local:%H:%M} {tz_name})" if local.date() == utc.date() else f" ({local:%Y-%m-%d %H:%M} {tz_name})"
    return text


def duration(seconds: int | None) -> str:
    """'5h 12m', '2d 3h 04m', '—' for a milestone not reached."""
    if seconds is None:
        return "—"
    minutes = max(0, seconds) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{days}d " if days else "") + f"{hours}h {minutes:02d}m"


def _cell(text: str | None) -> str:
    return md_inline(text) or " "


def render_markdown(report: dict) -> str:
    inc, plan, tz = report["incident"], report["plan"], report["timezone"]
    kind = "Exercise" if inc["exercise"] else "Incident"
    lines = [f"# {kind} report: {inc['reference']} — {md_inline(plan['title'])}", ""]
    if inc["exercise"]:
        lines += ["_This was an exercise, not a real incident._", ""]
    activated = f"{_when(inc['activated_at'], tz)} by {_who(inc['activated_by'], inc['activated_by_name'])}"
    if inc["approved_by"]:
        activated += f", approved by {_who(inc['approved_by'], inc['approved_by_name'])}"
    channel = inc["channel"]
    lines += [
        f"- **Plan:** {md_inline(plan['title'])} (`{md_inline(plan['id'])}`), version `{plan['version'][:12]}`",
        f"- **Circumstance:** {md_inline(inc['circumstance'])}",
        f"- **Services affected:** {md_inline(', '.join(inc['services'])) or '—'}",
        f"- **Incident lead:** {_who(inc['lead'], inc['lead_name'])}",
        f"- **Activated:** {activated}",
    ]
    if inc["open"]:
        lines.append(f"- **Status:** open, in {inc['state_label'].lower()}")
    else:
        lines.append(f"- **Stood down:** {_when(inc['stood_down_at'], tz)}, "
                     f"{duration(report['durations_seconds']['to_stand_down'])} after activation")
    if channel["id"]:
        lines.append(f"- **Channel:** #{md_inline(channel['name'] or '')} ({md_inline(channel['id'])})")
    lines += ["- **Times:** UTC" + (f", with local time in {tz}" if tz != "UTC" else ""), "",
              "## What happened", "", "> " + md_text(inc["summary"], "> "), ""]
    if inc["closing_summary"]:
        lines += ["## Closing summary", "", "> " + md_text(inc["closing_summary"], "> "), ""]

    lines += ["## Time from activation", "", "| Milestone | Reached | Time from activation |", "|---|---|---|"]
    for phase in report["phases"]:
        lines.append(f"| {md_inline(phase['title'])} | {_when(phase['started_at'], tz) if phase['reached'] else 'not reached'} "
                     f"| {duration(phase['from_activation_seconds'])} |")
    lines += [f"| Stand-down | {_when(inc['stood_down_at'], tz) if inc['stood_down_at'] else 'not yet'} "
              f"| {duration(report['durations_seconds']['to_stand_down'])} |", ""]

    lines += ["## Decision register", ""]
    if not report["decisions"]:
        lines += ["No decisions were logged.", ""]
    for d in report["decisions"]:
        corrects = f" (corrects D{d['corrects']})" if d["corrects"] else ""
        lines += [f"### {d['label']}{corrects} — {_when(d['at'], tz)}", "",
                  f"- **Decision:** {md_text(d['decision'], '  ')}"]
        if d["rationale"]:
            lines.append(f"- **Rationale:** {md_text(d['rationale'], '  ')}")
        if d["options"]:
            lines.append(f"- **Options considered:** {md_text(d['options'], '  ')}")
        lines.append(f"- **Decided by:** {_who(d['decided_by'], d['decided_by_name'])} · "
                     f"logged by {_who(d['logged_by'], d['logged_by_name'])}")
        if d["corrected_by"]:
            lines.append("- **Corrected by:** " + ", ".join(f"D{n}" for n in d["corrected_by"]))
        if d["source_link"]:
            lines.append(f"- **Source:** {_link(d['source_link'])}")
        lines.append("")

    lines += ["## Status updates", ""]
    if not report["status_updates"]:
        lines += ["No status updates were posted.", ""]
    for u in report["status_updates"]:
        lines += [f"### {_when(u['at'], tz)} — {_who(u['who'], u['who_name'])}", "", f"- **Situation:** {md_text(u['situation'], '  ')}"]
        if u["actions"]:
            lines.append(f"- **In progress:** {md_text(u['actions'], '  ')}")
        if u["next_update_due"]:
            lines.append(f"- **Next update due:** {_when(u['next_update_due'], tz)}")
        lines.append("")

    lines += ["## Checklist", ""]
    for phase in report["phases"]:
        p = phase["progress"]
        lines += [f"### {md_inline(phase['title'])} — {p['done']}/{p['total']} done"
                  + (f", {p['not_applicable']} not applicable" if p["not_applicable"] else "")
                  + (f", {p['open']} open" if p["open"] else ""), ""]
        if phase["reached"]:
            span = f"Started {_when(phase['started_at'], tz)}"
            span += f"; lasted {duration(phase['duration_seconds'])}." if phase["ended_at"] else "; still current."
        else:
            span = "Not reached."
        lines += [span, ""]
        if phase["carried_over"]:
            lines += ["Carried over to the next phase, still open: steps "
                      + ", ".join(str(n) for n in phase["carried_over"]) + ".", ""]
        for s in phase["steps"]:
            mark = {"done": "x", "na": "-"}.get(s["status"], " ")
            detail = []
            if s["status"] == "done":
                detail.append(f"done by {_who(s['changed_by'], s['changed_by_name'])}, {_when(s['changed_at'], tz)}")
            elif s["status"] == "na":
                detail.append(f"not applicable, marked by {_who(s['changed_by'], s['changed_by_name'])}, "
                              f"{_when(s['changed_at'], tz)}")
            elif phase["reached"]:
                detail.append(("open" if inc["open"] else "not done")
                              + (f", due {_when(s['due_at'], tz)}" if s["due_at"] else ""))
            if s["owner_role"]:
                detail.append(f"owner: {md_inline(s['owner_role'])}")
            if s["assignee"]:
                detail.append(f"assigned to {_who(s['assignee'], s['assignee_name'])}")
            lines.append(f"- [{mark}] {s['position']}. {md_inline(s['title'])}" + (" — " + " · ".join(detail) if detail else ""))
            if s["na_reason"]:
                lines.append(f"  - Reason: {md_text(s['na_reason'], '    ')}")
            if s["note"]:
                lines.append(f"  - Note: {md_text(s['note'], '    ')}")
        lines.append("")

    exercise_report = (report.get("stand_down") or {}).get("exercise_report")
    if exercise_report:
        lines += ["## Post-exercise report", ""]
        for key, label in EXERCISE_REPORT_PARTS:
            lines.append(f"- **{label}:** {md_text(exercise_report.get(key), '  ')}")
        lines.append("")

    lines += report_rollcall.markdown(report.get("roll_call"), md_inline=md_inline,
                                      when=lambda times: _when(times, tz), duration=duration)
    lines += report_roles.markdown(report.get("roles"), md_inline=md_inline, when=lambda times: _when(times, tz))
    lines += report_recovery.markdown(report.get("services"), md_inline=md_inline, when=lambda times: _when(times, tz))
    lines += action_register.markdown(report.get("actions") or [], cell=_cell)
    lines += ["## Timeline", "", f"| UTC | Local ({tz}) | Who | What |", "|---|---|---|---|"]
    for e in report["timeline"]:
        utc, local = _dt(e["at"], "utc"), _dt(e["at"], "local")
        lines.append(f"| {utc:%Y-%m-%d %H:%M:%S} | {local:%Y-%m-%d %H:%M:%S} | {_who(e['who'], e['who_name'])} | {_cell(e['what'])} |")
    return "\n".join(lines) + "\n"
