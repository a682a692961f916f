"""Incidents and what belongs to each: its checklist, its log, its decision register."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from bot.domain import records
from bot.domain.errors import NotFound
from bot.domain.incident import IncidentState
from bot.domain.plan import Plan
from storage import models as m
from storage.repositories._common import _incident, rowcount


def _step(row: m.ChecklistStep) -> records.Step:
    return records.Step(
        id=row.id, incident_id=row.incident_id, phase=row.phase, position=row.position, title=row.title,
        owner_role=row.owner_role, due_within_minutes=row.due_within_minutes, status=records.StepStatus(row.status),
        changed_by=row.changed_by, changed_at=row.changed_at, assignee=row.assignee, note=row.note,
        na_reason=row.na_reason,
    )


_incidents = m.Incident.__table__
_OPEN_INCIDENTS = (select(_incidents).where(_incidents.c.state != IncidentState.STOOD_DOWN.value)
                   .order_by(_incidents.c.activated_at.desc()).limit(bindparam("limit")))


class IncidentRepository:
    def __init__(self, session: Session):
        self.s = session
        self.changed = False  # an incident row was written: the unit of work says so after its commit

    def add(self, *, request: records.ActivationRequest, plan: Plan, activated_by: str,
            approved_by: str | None, now: datetime) -> int:
        row = m.Incident(
            plan_version_id=request.plan_version_id, activation_request_id=request.id, plan_key=plan.id,
            is_exercise=request.form.is_exercise, confidential=request.form.confidential, circumstance=request.form.circumstance,
            summary=request.form.summary, services=list(request.form.services),
            lead_user_id=request.form.lead_user_id, activated_by=activated_by, approved_by=approved_by,
            state=IncidentState.INCIDENT_MANAGEMENT, activated_at=now, phase_started_at=now,
            disrupted_at=min(request.form.disrupted_at or request.created_at, now),
        )
        self.s.add(row)
        self.s.flush()
        self.changed = True
        self.s.execute(insert(m.ChecklistStep), [
            {"incident_id": row.id, "phase": phase.key.value, "position": i, "title": step.title,
             "owner_role": step.owner_role, "due_within_minutes": step.due_within_minutes, "status": "open"}
            for phase in plan.phases for i, step in enumerate(phase.steps, start=1)
        ])
        return row.id

    def get(self, incident_id: int) -> records.Incident:
        return _incident(self.s.get_one(m.Incident, incident_id))

    def find(self, incident_id: int) -> records.Incident | None:
        row = self.s.get(m.Incident, incident_id)
        return _incident(row) if row else None

    def by_request(self, request_id: int) -> records.Incident | None:
        row = self.s.scalar(select(m.Incident).where(m.Incident.activation_request_id == request_id))
        return _incident(row) if row else None

    def open_incidents(self, limit: int = 50) -> list[records.Incident]:
        # Rows of the table, not ORM objects: this read answers `/activate status` inside the ack,
        # where the ORM's bookkeeping cost more than the query.
        return [_incident(r) for r in self.s.connection().execute(_OPEN_INCIDENTS, {"limit": limit})]


    def by_channel(self, channel_id: str) -> records.Incident | None:
        row = self.s.scalar(select(m.Incident).where(m.Incident.channel_id == channel_id))
        return _incident(row) if row else None

    def transition(self, incident_id: int, *, from_: IncidentState, to: IncidentState, now: datetime,
                   closing_summary: str | None = None) -> bool:
        """Move the incident on only if it is still in `from_`: one of two concurrent clicks wins."""
        values: dict = {"state": to.value}
        if to is IncidentState.STOOD_DOWN:
            values |= {"stood_down_at": now, "closing_summary": closing_summary, "next_update_due": None}
        else:
            values |= {"phase_started_at": now}
        result = self.s.execute(update(m.Incident).where(m.Incident.id == incident_id, m.Incident.state == from_.value)
                                .values(**values))
        self.changed |= rowcount(result) == 1
        return rowcount(result) == 1

    def set_services(self, incident_id: int, services: list[str]) -> None:
        self.s.execute(update(m.Incident).where(m.Incident.id == incident_id).values(services=services))
        self.changed = True

    def set_next_update_due(self, incident_id: int, due: datetime | None) -> None:
        self.s.execute(update(m.Incident).where(m.Incident.id == incident_id).values(next_update_due=due))
        self.changed = True

    def due_for_nudge(self, now: datetime) -> list[records.Incident]:
        rows = self.s.scalars(select(m.Incident).where(
            m.Incident.state != IncidentState.STOOD_DOWN, m.Incident.next_update_due <= now,
            (m.Incident.nudged_for.is_(None)) | (m.Incident.nudged_for != m.Incident.next_update_due)))
        return [_incident(r) for r in rows]

    def claim_nudge(self, incident_id: int, due: datetime) -> bool:
        """Record that the lead is being nudged for this due time; False if someone already did."""
        result = self.s.execute(update(m.Incident).where(
            m.Incident.id == incident_id, m.Incident.next_update_due == due,
            m.Incident.state != IncidentState.STOOD_DOWN,
            (m.Incident.nudged_for.is_(None)) | (m.Incident.nudged_for != due)).values(nudged_for=due))
        self.changed |= rowcount(result) == 1
        return rowcount(result) == 1

    def set_fields(self, incident_id: int, **values) -> None:
        allowed = {"channel_id", "channel_name", "header_ts", "announce_ts"}
        if not values.keys() <= allowed:
            raise ValueError(f"not settable here: {set(values) - allowed}")
        self.s.execute(update(m.Incident).where(m.Incident.id == incident_id).values(**values))
        self.changed = True

    def forget_channel(self, incident_id: int, channel_id: str) -> bool:
        """The incident leaves `channel_id` (deleted) for a channel its set-up will make: its header and
        checklist messages there are forgotten, so they are posted anew. False if it had left it already."""
        result = self.s.execute(update(m.Incident).where(m.Incident.id == incident_id, m.Incident.channel_id == channel_id)
                                .values(channel_id=None, channel_name=None, header_ts=None))
        if rowcount(result) != 1:
            return False
        self.s.execute(delete(m.ChecklistMessage).where(m.ChecklistMessage.incident_id == incident_id))
        self.changed = True
        return True

    # Checklist -----------------------------------------------------------------------------
    def steps(self, incident_id: int, phase: str | None = None) -> list[records.Step]:
        query = select(m.ChecklistStep).where(m.ChecklistStep.incident_id == incident_id)
        if phase:
            query = query.where(m.ChecklistStep.phase == phase)
        return [_step(r) for r in self.s.scalars(query.order_by(m.ChecklistStep.id))]

    def step(self, step_id: int) -> records.Step:
        row = self.s.get(m.ChecklistStep, step_id)
        if row is None:
            raise NotFound("That checklist step no longer exists.")
        return _step(row)

    def set_step_status(self, step_id: int, *, status: records.StepStatus, by: str, now: datetime,
                        na_reason: str | None = None) -> bool:
        """Change a step's status; False if it already had it (a double click changes nothing)."""
        result = self.s.execute(
            update(m.ChecklistStep).where(m.ChecklistStep.id == step_id, m.ChecklistStep.status != status)
            .values(status=status, changed_by=by, changed_at=now, na_reason=na_reason)
        )
        return rowcount(result) == 1

    def set_step_detail(self, step_id: int, **values) -> bool:
        """Set a step's assignee or note; False when it already had that value."""
        if not values.keys() <= {"assignee", "note"} or len(values) != 1:
            raise ValueError("set one of assignee, note")
        (column, value), = values.items()
        result = self.s.execute(update(m.ChecklistStep).where(
            m.ChecklistStep.id == step_id, getattr(m.ChecklistStep, column).is_distinct_from(value)).values(**values))
        return rowcount(result) == 1

    def checklist_messages(self, incident_id: int, phase: str) -> dict[int, tuple[str, str]]:
        rows = self.s.scalars(select(m.ChecklistMessage).where(
            m.ChecklistMessage.incident_id == incident_id, m.ChecklistMessage.phase == phase))
        return {r.page: (r.channel_id, r.ts) for r in rows}

    def add_checklist_message(self, incident_id: int, phase: str, page: int, channel_id: str, ts: str) -> None:
        self.s.add(m.ChecklistMessage(incident_id=incident_id, phase=phase, page=page, channel_id=channel_id, ts=ts))


class LogRepository:
    """Append-only by construction: there is an `append` and reads, and nothing else."""

    def __init__(self, session: Session):
        self.s = session

    def append(self, *, incident_id: int, at: datetime, actor: str | None, kind: str, summary: str,
               data: dict | None = None) -> int:
        """The new entry's ID."""
        row = m.IncidentLogEntry(incident_id=incident_id, at=at, actor=actor, kind=kind, summary=summary,
                                 data=data or {})
        self.s.add(row)
        self.s.flush()
        return row.id

    def phase_changes(self, incident_id: int) -> list[tuple[str, datetime]]:
        """(the phase moved to, when), oldest first."""
        rows = self.s.execute(select(m.IncidentLogEntry.data, m.IncidentLogEntry.at)
                              .where(m.IncidentLogEntry.incident_id == incident_id,
                                     m.IncidentLogEntry.kind == "phase_changed")
                              .order_by(m.IncidentLogEntry.id))
        return [(str((data or {}).get("to")), at) for data, at in rows]

    def entries(self, incident_id: int) -> list[records.LogEntry]:
        rows = self.s.scalars(select(m.IncidentLogEntry).where(m.IncidentLogEntry.incident_id == incident_id)
                              .order_by(m.IncidentLogEntry.id))
        return [records.LogEntry(id=r.id, incident_id=r.incident_id, at=r.at, actor=r.actor, kind=r.kind,
                                 summary=r.summary, data=r.data or {}) for r in rows]


class DecisionRepository:
    """The decision register: append and read; a correction is a new decision pointing at the old one."""

    def __init__(self, session: Session):
        self.s = session

    def add(self, *, incident_id: int, decision: str, rationale: str | None, options: str | None, decided_by: str,
            logged_by: str, corrects: int | None, source_link: str | None, now: datetime) -> records.Decision:
        # The incident row's counter, bumped under its row lock (SQLite: the write lock): concurrent
        # writers queue instead of colliding, so nobody is refused and numbers have no gaps.
        number = self.s.scalar(update(m.Incident).where(m.Incident.id == incident_id)
                               .values(decisions_count=m.Incident.decisions_count + 1)
                               .returning(m.Incident.decisions_count))
        if number is None:
            raise NotFound("That incident no longer exists.")
        row = m.Decision(incident_id=incident_id, number=number, decision=decision, rationale=rationale,
                         options=options, decided_by=decided_by, logged_by=logged_by, corrects=corrects,
                         source_link=source_link, at=now)
        self.s.add(row)
        self.s.flush()
        return _decision(row)

    def list(self, incident_id: int) -> list[records.Decision]:
        rows = self.s.scalars(select(m.Decision).where(m.Decision.incident_id == incident_id).order_by(m.Decision.number))
        return [_decision(r) for r in rows]


def _decision(row: m.Decision) -> records.Decision:
    return records.Decision(id=row.id, incident_id=row.incident_id, number=row.number, decision=row.decision,
                            rationale=row.rationale, options=row.options, decided_by=row.decided_by,
                            logged_by=row.logged_by, corrects=row.corrects, source_link=row.source_link, at=row.at)
