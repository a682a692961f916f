"""The corrective-action register as plain data (`bcbot actions --format json`, the incident report's actions)
and as text. Reads through a unit of work; the shaping is pure. The JSON shape is in docs/actions.md."""
from __future__ import annotations

from datetime import date
from typing import Callable

from bot.domain.actions import Action, ActionEvent, ActionStatus, matches
from bot.domain.people import Names, ids_in

FORMAT_VERSION = 1
STATUSES = ("open", "done", "dropped", "overdue")


def _person(user_id: str | None, names: Names) -> dict | None:
    return {"id": user_id, "name": names.at(user_id)} if user_id else None


def entry(action: Action, names: Names, today: date | None = None, events: list[ActionEvent] | None = None) -> dict:
    """One action as the register shows it (whether it is overdue when `today` is given: the incident report
    leaves it out, to stay the same bytes whenever it is made; its history when `events` is given)."""
    found: dict[str, object] = {
        "ref": action.ref,
        "title": action.title,
        "owner": _person(action.owner, names),
        "due_on": action.due_on.isoformat(),
        "status": action.status.value,
        "plan": action.plan_key,
        "source": {"kind": action.source.kind.value, "ref": action.source.ref, "note": action.source.note},
        "created_at": action.created_at.isoformat(),
        "created_by": _person(action.created_by, names),
        "closed_at": action.closed_at.isoformat() if action.closed_at else None,
        "closed_by": _person(action.closed_by, names),
        "closing_note": action.closing_note,
    }
    if today is not None:
        found["overdue"] = action.overdue(today)
    if events is not None:
        found["history"] = [{"at": e.at.isoformat(), "by": _person(e.actor, names), "kind": e.kind, **e.data}
                            for e in events]
    return found


def build(uow_factory: Callable, *, today: date, plan: str | None = None, status: str | None = None) -> dict:
    """Every action (of `plan`, in `status`), oldest first, each with its history."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    with uow_factory(read_only=True) as uow:
        found = [a for a in uow.actions.find_all(plan_key=plan) if matches(a, status, today)]
        events = uow.actions.events([a.id for a in found])
        names = uow.names.history(ids_in((a.owner for a in found), (a.created_by for a in found),
                                         (a.closed_by for a in found),
                                         (e.actor for history in events.values() for e in history)))
    return {"format_version": FORMAT_VERSION, "today": today.isoformat(), "plan": plan, "status": status,
            "actions": [entry(a, names, today, events.get(a.id, [])) for a in found]}


def counts(register: dict) -> dict[str, int]:
    out = {"open": 0, "overdue": 0, "done": 0, "dropped": 0}
    for a in register["actions"]:
        out[a["status"]] += 1
        out["overdue"] += a["overdue"]
    return out


def _who(person: dict | None) -> str:
    if not person:
        return "—"
    return f"{person['name']} ({person['id']})" if person.get("name") else person["id"]


def render_text(register: dict) -> str:
    """One block per action: reference, status, title; owner and due date; source; how it was closed."""
    actions = register["actions"]
    if not actions:
        return "No actions" + (f" that are {register['status']}" if register.get("status") else "") + \
            (f" in plan {register['plan']}" if register.get("plan") else "") + "."
    c = counts(register)
    lines = [f"{len(actions)} actions: {c['open']} open ({c['overdue']} overdue), {c['done']} done, "
             f"{c['dropped']} dropped", ""]
    for a in actions:
        state = "OVERDUE" if a["overdue"] else a["status"].upper()
        lines.append(f"{a['ref']}  [{state}]  {a['title']}")
        lines.append(f"    owner {_who(a['owner'])} · due {a['due_on']} · plan {a['plan']}")
        source = a["source"]
        lines.append(f"    from {source['kind']} {source['ref'] or ''}".rstrip()
                     + (f": {source['note']}" if source.get("note") else ""))
        if a["status"] != ActionStatus.OPEN.value:
            lines.append(f"    {a['status']} {a['closed_at'][:10]} by {_who(a['closed_by'])}: {a['closing_note']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def markdown(actions: list[dict], *, cell: Callable[[str | None], str]) -> list[str]:
    """The incident report's "Actions" section: the actions that came from the incident, as they stand."""
    if not actions:
        return []
    lines = ["## Actions", "", "| Ref | Action | Owner | Due | Status |", "|---|---|---|---|---|"]
    for a in actions:
        status = a["status"] + (f" {a['closed_at'][:10]}: {a['closing_note']}" if a["closing_note"] else "")
        lines.append(f"| {a['ref']} | {cell(a['title'])} | {cell(_who(a['owner']))} | {a['due_on']} | {cell(status)} |")
    return [*lines, ""]
