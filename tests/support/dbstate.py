"""The whole database as plain values, to compare before and after a request (tests of bad input).

`snapshot` reads every table; `diff` says which tables gained, changed or lost rows; `problems` checks
the invariants a half-finished write would break (an incident without its checklist, a decision
without its log entry, a value longer than its column allows on PostgreSQL).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import JSON, String

from storage import models as m


@dataclass(frozen=True)
class TableDiff:
    added: int = 0
    changed: int = 0
    removed: int = 0


Snapshot = dict[str, dict[tuple, dict]]


def snapshot(bot) -> Snapshot:
    """Every row as the driver gives it (JSON decoded): the fuzz tests take two per request, and SQLAlchemy's
    typed rows made them a quarter of those tests' time."""
    out: Snapshot = {}
    with bot.uow() as uow:
        conn = uow.session.connection()
        for table in m.Base.metadata.sorted_tables:
            names = [c.name for c in table.columns]
            keys = [names.index(c.name) for c in table.primary_key.columns]
            decode = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
            rows = {}
            quote = conn.dialect.identifier_preparer.quote
            for raw in conn.exec_driver_sql(f"SELECT {', '.join(map(quote, names))} FROM {quote(table.name)}"):
                row = list(raw)
                for i in decode:
                    if isinstance(row[i], str):
                        row[i] = json.loads(row[i])
                rows[tuple(row[i] for i in keys)] = dict(zip(names, row))
            out[table.name] = rows
    return out


def diff(before: Snapshot, after: Snapshot) -> dict[str, TableDiff]:
    """Tables whose rows differ: {table: TableDiff}; empty when nothing changed."""
    out = {}
    for name in after.keys() | before.keys():
        old, new = before.get(name, {}), after.get(name, {})
        added = len(new.keys() - old.keys())
        removed = len(old.keys() - new.keys())
        changed = sum(1 for k in new.keys() & old.keys() if new[k] != old[k])
        if added or removed or changed:
            out[name] = TableDiff(added, changed, removed)
    return out


def diff_besides_refusals(before: Snapshot, after: Snapshot) -> dict[str, TableDiff]:
    """As `diff`, leaving out what a refusal itself records: the person's intent, marked failed, and
    the outbox task that tells them why."""
    kept = dict(after)
    kept["intents"] = {k: r for k, r in after.get("intents", {}).items()
                       if k in before.get("intents", {}) or r["status"] != "failed"}
    kept["outbox"] = {k: r for k, r in after.get("outbox", {}).items()
                      if k in before.get("outbox", {}) or not r["subject"].startswith("intent:")}
    return diff(before, kept)


def problems(state: Snapshot) -> list[str]:
    """Invariants of a consistent database; each broken one is named."""
    found: list[str] = []
    # Every value fits its column (SQLite does not enforce String(n); PostgreSQL does).
    for table in m.Base.metadata.sorted_tables:
        limits = {c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length}
        for key, row in state[table.name].items():
            for column, limit in limits.items():
                value = row.get(column)
                if isinstance(value, str) and len(value) > limit:
                    found.append(f"{table.name}{key}.{column} is {len(value)} characters (column allows {limit})")
    incidents = state["incidents"]
    requests = state["activation_requests"]
    log = list(state["incident_log"].values())
    steps = list(state["checklist_steps"].values())
    with_steps = {s["incident_id"] for s in steps}
    with_tasks = {int(t["subject"].split(":")[1]) for t in state["outbox"].values() if t["subject"].startswith("incident:")}
    activated = {e["incident_id"] for e in log if e["kind"] == "activated"}
    logged_decisions = {(e["incident_id"], (e["data"] or {}).get("number")) for e in log if e["kind"] == "decision"}
    for (incident_id,), incident in incidents.items():
        request = requests.get((incident["activation_request_id"],))
        if request is None or request["status"] not in ("activated", "approved"):
            found.append(f"incident {incident_id} has no activated request")
        if incident_id not in with_steps:
            found.append(f"incident {incident_id} has no checklist")
        if incident_id not in activated:
            found.append(f"incident {incident_id} has no 'activated' log entry")
        if incident_id not in with_tasks:
            found.append(f"incident {incident_id} has no Slack set-up recorded")
        if incident["state"] == "stood_down" and not (incident["closing_summary"] and incident["stood_down_at"]):
            found.append(f"incident {incident_id} is stood down without a closing summary")
    for entry in log:
        if (entry["incident_id"],) not in incidents:
            found.append(f"log entry {entry['id']} belongs to no incident")
    for decision in state["decisions"].values():
        if not decision["decision"].strip():
            found.append(f"decision {decision['id']} is empty")
        if (decision["incident_id"], decision["number"]) not in logged_decisions:
            found.append(f"decision {decision['id']} has no log entry")
    for step in steps:
        if step["status"] == "done" and not step["changed_by"]:
            found.append(f"step {step['id']} is done by nobody")
        if step["status"] == "na" and not (step["na_reason"] or "").strip():
            found.append(f"step {step['id']} is not applicable without a reason")
    for (request_id,), request in requests.items():
        if not 3 <= len(request["summary"].strip()) <= 3000:
            found.append(f"request {request_id} has a summary of {len(request['summary'])} characters")
        if not request["circumstance"].strip():
            found.append(f"request {request_id} has no circumstance")
    return found
