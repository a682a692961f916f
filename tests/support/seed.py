"""Many incidents at once, straight into the database (for scale tests and bench/home_scale.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from bot.domain.incident import IncidentState
from bot.domain.plan import Plan
from storage import models as m


def seed_incidents(uow_factory, plan: Plan, *, now: datetime, open: int = 0, stood_down: int = 0,
                   done_per_open: int = 0, steps_for_stood_down: bool = False, tie_every: int = 3,
                   batch: int = 20_000) -> tuple[list[int], list[int]]:
    """Insert `open` incidents in their first phase (the newest activated last minute) and `stood_down` ones
    (stood down an hour apart, `tie_every` of them sharing each time, to exercise paging ties).
    Returns the IDs (open, stood_down)."""
    with uow_factory() as u:
        version = u.plans.version_id(plan, source="seed", now=now)
        s = u.session
        first = max(s.scalar(select(func.max(m.Incident.id))) or 0, s.scalar(select(func.max(m.ActivationRequest.id))) or 0) + 1
        open_ids = list(range(first, first + open))
        closed_ids = list(range(first + open, first + open + stood_down))

        def incident(i: int, n: int, closed: bool) -> dict:
            if closed:
                down = now - timedelta(hours=1 + n // max(1, tie_every))
                activated = down - timedelta(hours=5, minutes=12)
            else:
                down, activated = None, now - timedelta(minutes=1 + n)
            return {"id": i, "plan_version_id": version, "activation_request_id": i, "plan_key": plan.id,
                    "is_exercise": n % 7 == 3, "circumstance": "Loss of critical systems", "summary": f"Seeded {i}",
                    "services": [], "lead_user_id": "U0LEADER01", "activated_by": "U0SPARKS01", "approved_by": None,
                    "state": IncidentState.STOOD_DOWN.value if closed else IncidentState.INCIDENT_MANAGEMENT.value,
                    "channel_id": f"C{i:08d}", "channel_name": f"bc-seeded-{i}", "activated_at": activated,
                    "phase_started_at": activated, "stood_down_at": down,
                    "closing_summary": "Seeded" if closed else None}

        rows = [incident(i, n, False) for n, i in enumerate(open_ids)] + [incident(i, n, True) for n, i in enumerate(closed_ids)]
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            s.execute(insert(m.ActivationRequest), [
                {"id": r["id"], "view_id": None, "plan_version_id": version, "requested_by": r["activated_by"],
                 "circumstance": r["circumstance"], "summary": r["summary"], "services": [], "lead_user_id": r["lead_user_id"],
                 "is_exercise": r["is_exercise"], "status": "activated", "created_at": r["activated_at"],
                 "approval_messages": []} for r in chunk])
            s.execute(insert(m.Incident), chunk)
            steps = []
            for r in chunk:
                if r["state"] == IncidentState.STOOD_DOWN.value and not steps_for_stood_down:
                    continue
                for phase in plan.phases:
                    for position, step in enumerate(phase.steps, start=1):
                        done = phase.key.value == r["state"] and position <= done_per_open
                        steps.append({"incident_id": r["id"], "phase": phase.key.value, "position": position,
                                      "title": step.title, "owner_role": step.owner_role,
                                      "due_within_minutes": step.due_within_minutes, "status": "done" if done else "open",
                                      "changed_by": "U0SPARKS01" if done else None, "changed_at": now if done else None})
            if steps:
                s.execute(insert(m.ChecklistStep), steps)
        u.commit()
    return open_ids, closed_ids
