"""Repositories: the only place that writes SQL. They return bot.records values."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import records
from bot.incident import IncidentState
from bot.plan import Plan
from storage import models as m


def _incident(row: m.Incident) -> records.Incident:
    return records.Incident(
        id=row.id, plan_key=row.plan_key, plan_version_id=row.plan_version_id, is_exercise=row.is_exercise,
        circumstance=row.circumstance, summary=row.summary, services=tuple(row.services or ()),
        lead_user_id=row.lead_user_id, activated_by=row.activated_by, approved_by=row.approved_by,
        state=IncidentState(row.state), channel_id=row.channel_id, channel_name=row.channel_name,
        header_ts=row.header_ts, announce_ts=row.announce_ts, activated_at=row.activated_at,
        phase_started_at=row.phase_started_at, stood_down_at=row.stood_down_at,
        closing_summary=row.closing_summary, next_update_due=row.next_update_due, nudged_for=row.nudged_for,
    )


def _step(row: m.ChecklistStep) -> records.Step:
    return records.Step(
        id=row.id, incident_id=row.incident_id, phase=row.phase, position=row.position, title=row.title,
        owner_role=row.owner_role, due_within_minutes=row.due_within_minutes, status=records.StepStatus(row.status),
        changed_by=row.changed_by, changed_at=row.changed_at, assignee=row.assignee, note=row.note,
        na_reason=row.na_reason,
    )


def _request(row: m.ActivationRequest, plan_key: str) -> records.ActivationRequest:
    form = records.ActivationForm(
        plan_id=plan_key, circumstance=row.circumstance, summary=row.summary, services=tuple(row.services or ()),
        lead_user_id=row.lead_user_id, is_exercise=row.is_exercise,
    )
    return records.ActivationRequest(
        id=row.id, plan_version_id=row.plan_version_id, requested_by=row.requested_by, form=form,
        status=records.RequestStatus(row.status), decided_by=row.decided_by, created_at=row.created_at,
        approval_messages=tuple(tuple(x) for x in row.approval_messages or ()),
    )


class PlanRepository:
    def __init__(self, session: Session):
        self.s = session

    def version_id(self, plan: Plan, *, source: str, now: datetime) -> int:
        """The row of this exact plan version, stored on first sight."""
        digest = plan.content_hash()
        found = self.s.scalar(
            select(m.PlanVersion.id).where(m.PlanVersion.plan_key == plan.id, m.PlanVersion.content_hash == digest)
        )
        if found is not None:
            return found
        try:
            with self.s.begin_nested():
                row = m.PlanVersion(plan_key=plan.id, content_hash=digest, title=plan.title,
                                    snapshot=plan.canonical_json(), source=source, created_at=now)
                self.s.add(row)
        except IntegrityError:  # another process stored it first
            return self.s.scalar(
                select(m.PlanVersion.id).where(m.PlanVersion.plan_key == plan.id, m.PlanVersion.content_hash == digest)
            )
        return row.id

    def snapshot(self, version_id: int) -> Plan:
        return Plan.from_snapshot(self.s.get_one(m.PlanVersion, version_id).snapshot)

    def content_hash(self, version_id: int) -> str:
        return self.s.get_one(m.PlanVersion, version_id).content_hash


class RequestRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, *, view_id: str | None, plan_version_id: int, requested_by: str,
            form: records.ActivationForm, now: datetime) -> int | None:
        """Record a submitted form; None when this view was already submitted (a double submit)."""
        try:
            with self.s.begin_nested():
                row = m.ActivationRequest(
                    view_id=view_id, plan_version_id=plan_version_id, requested_by=requested_by,
                    circumstance=form.circumstance, summary=form.summary, services=list(form.services),
                    lead_user_id=form.lead_user_id, is_exercise=form.is_exercise,
                    status=records.RequestStatus.RECEIVED, created_at=now, approval_messages=[],
                )
                self.s.add(row)
        except IntegrityError:
            return None
        return row.id

    def get(self, request_id: int) -> records.ActivationRequest:
        row = self.s.get_one(m.ActivationRequest, request_id)
        plan_key = self.s.get_one(m.PlanVersion, row.plan_version_id).plan_key
        return _request(row, plan_key)

    def transition(self, request_id: int, *, from_: tuple[records.RequestStatus, ...], to: records.RequestStatus,
                   by: str | None = None, now: datetime | None = None) -> bool:
        """Move the request on only if it is still in one of `from_`: exactly one concurrent caller wins."""
        values: dict = {"status": to}
        if by is not None:
            values |= {"decided_by": by, "decided_at": now}
        result = self.s.execute(
            update(m.ActivationRequest)
            .where(m.ActivationRequest.id == request_id, m.ActivationRequest.status.in_(list(from_)))
            .values(**values)
        )
        return result.rowcount == 1

    def set_approval_messages(self, request_id: int, messages: list[tuple[str, str]]) -> None:
        self.s.execute(
            update(m.ActivationRequest).where(m.ActivationRequest.id == request_id)
            .values(approval_messages=[list(x) for x in messages])
        )


class IncidentRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, *, request: records.ActivationRequest, plan: Plan, activated_by: str,
            approved_by: str | None, now: datetime) -> int:
        row = m.Incident(
            plan_version_id=request.plan_version_id, activation_request_id=request.id, plan_key=plan.id,
            is_exercise=request.form.is_exercise, circumstance=request.form.circumstance,
            summary=request.form.summary, services=list(request.form.services),
            lead_user_id=request.form.lead_user_id, activated_by=activated_by, approved_by=approved_by,
            state=IncidentState.INCIDENT_MANAGEMENT, activated_at=now, phase_started_at=now,
        )
        self.s.add(row)
        self.s.flush()
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
        rows = self.s.scalars(
            select(m.Incident).where(m.Incident.state != IncidentState.STOOD_DOWN)
            .order_by(m.Incident.activated_at.desc()).limit(limit)
        )
        return [_incident(r) for r in rows]

    def count_open(self) -> int:
        return self.s.scalar(select(func.count()).select_from(m.Incident).where(m.Incident.state != IncidentState.STOOD_DOWN)) or 0

    def set_fields(self, incident_id: int, **values) -> None:
        allowed = {"channel_id", "channel_name", "header_ts", "announce_ts"}
        if not values.keys() <= allowed:
            raise ValueError(f"not settable here: {set(values) - allowed}")
        self.s.execute(update(m.Incident).where(m.Incident.id == incident_id).values(**values))

    # Checklist -----------------------------------------------------------------------------
    def steps(self, incident_id: int, phase: str | None = None) -> list[records.Step]:
        query = select(m.ChecklistStep).where(m.ChecklistStep.incident_id == incident_id)
        if phase:
            query = query.where(m.ChecklistStep.phase == phase)
        return [_step(r) for r in self.s.scalars(query.order_by(m.ChecklistStep.id))]

    def step(self, step_id: int) -> records.Step:
        return _step(self.s.get_one(m.ChecklistStep, step_id))

    def set_step_status(self, step_id: int, *, status: records.StepStatus, by: str, now: datetime,
                        na_reason: str | None = None) -> bool:
        """Change a step's status; False if it already had it (a double click changes nothing)."""
        result = self.s.execute(
            update(m.ChecklistStep).where(m.ChecklistStep.id == step_id, m.ChecklistStep.status != status)
            .values(status=status, changed_by=by, changed_at=now, na_reason=na_reason)
        )
        return result.rowcount == 1

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
               data: dict | None = None) -> None:
        self.s.add(m.IncidentLogEntry(incident_id=incident_id, at=at, actor=actor, kind=kind, summary=summary,
                                      data=data or {}))

    def entries(self, incident_id: int) -> list[records.LogEntry]:
        rows = self.s.scalars(select(m.IncidentLogEntry).where(m.IncidentLogEntry.incident_id == incident_id)
                              .order_by(m.IncidentLogEntry.id))
        return [records.LogEntry(id=r.id, incident_id=r.incident_id, at=r.at, actor=r.actor, kind=r.kind,
                                 summary=r.summary, data=r.data or {}) for r in rows]


class OutboxRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, incident_id: int, tasks: list[str], now: datetime) -> None:
        self.s.execute(insert(m.SlackTask), [
            {"incident_id": incident_id, "task": t, "created_at": now, "attempts": 0, "result": {}} for t in tasks
        ])

    def pending(self, incident_id: int) -> dict[str, int]:
        """Pending task name -> attempts so far."""
        rows = self.s.execute(select(m.SlackTask.task, m.SlackTask.attempts).where(
            m.SlackTask.incident_id == incident_id, m.SlackTask.done_at.is_(None)))
        return {task: attempts for task, attempts in rows}

    def incidents_with_pending(self, now: datetime, max_attempts: int) -> list[int]:
        query = select(m.SlackTask.incident_id).where(
            m.SlackTask.done_at.is_(None), m.SlackTask.attempts < max_attempts,
            (m.SlackTask.claimed_until.is_(None)) | (m.SlackTask.claimed_until < now),
        ).distinct()
        return list(self.s.scalars(query))

    def claim(self, incident_id: int, task: str, now: datetime, until: datetime) -> int | None:
        """Take the task for this worker; returns how many attempts came before, or None if it is
        done or another worker holds it."""
        where = (m.SlackTask.incident_id == incident_id, m.SlackTask.task == task, m.SlackTask.done_at.is_(None),
                 (m.SlackTask.claimed_until.is_(None)) | (m.SlackTask.claimed_until < now))
        before = self.s.scalar(select(m.SlackTask.attempts).where(*where))
        if before is None:
            return None
        result = self.s.execute(update(m.SlackTask).where(*where, m.SlackTask.attempts == before)
                                .values(attempts=before + 1, claimed_until=until))
        return before if result.rowcount == 1 else None

    def done(self, incident_id: int, task: str, now: datetime, result: dict | None = None) -> None:
        self.s.execute(update(m.SlackTask).where(m.SlackTask.incident_id == incident_id, m.SlackTask.task == task)
                       .values(done_at=now, result=result or {}))

    def failed(self, incident_id: int, task: str, error: str) -> None:
        self.s.execute(update(m.SlackTask).where(m.SlackTask.incident_id == incident_id, m.SlackTask.task == task)
                       .values(last_error=error[:2000], claimed_until=None))


class EventRepository:
    def __init__(self, session: Session):
        self.s = session

    def first_time(self, event_id: str, now: datetime) -> bool:
        """Record an Events API event ID; False when Slack is retrying one already handled."""
        try:
            with self.s.begin_nested():
                self.s.add(m.ProcessedEvent(event_id=event_id, received_at=now))
        except IntegrityError:
            return False
        return True


class DecisionRepository:
    """The decision register: append and read; a correction is a new decision pointing at the old one."""

    def __init__(self, session: Session):
        self.s = session

    def add(self, *, incident_id: int, decision: str, rationale: str | None, options: str | None, decided_by: str,
            logged_by: str, corrects: int | None, source_link: str | None, now: datetime) -> records.Decision:
        # Numbers are per incident: the unique (incident_id, number) makes a concurrent writer retry.
        for _ in range(5):
            number = (self.s.scalar(select(func.max(m.Decision.number)).where(m.Decision.incident_id == incident_id)) or 0) + 1
            try:
                with self.s.begin_nested():
                    row = m.Decision(incident_id=incident_id, number=number, decision=decision, rationale=rationale,
                                     options=options, decided_by=decided_by, logged_by=logged_by, corrects=corrects,
                                     source_link=source_link, at=now)
                    self.s.add(row)
                return _decision(row)
            except IntegrityError:
                continue
        raise RuntimeError("could not number the decision; please try again")

    def list(self, incident_id: int) -> list[records.Decision]:
        rows = self.s.scalars(select(m.Decision).where(m.Decision.incident_id == incident_id).order_by(m.Decision.number))
        return [_decision(r) for r in rows]


def _decision(row: m.Decision) -> records.Decision:
    return records.Decision(id=row.id, incident_id=row.incident_id, number=row.number, decision=row.decision,
                            rationale=row.rationale, options=row.options, decided_by=row.decided_by,
                            logged_by=row.logged_by, corrects=row.corrects, source_link=row.source_link, at=row.at)
