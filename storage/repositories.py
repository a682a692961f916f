"""Repositories: the only place that writes SQL. They return bot.domain.records values."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import records
from bot.domain.errors import NotFound
from bot.domain.incident import IncidentState
from bot.domain.plan import Plan
from bot.domain.reminders import Claim, ClaimStatus, DueRow, Governance, Kind, PlanTest, PlanTestType, ReminderKey
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


_incidents = m.Incident.__table__
_OPEN_INCIDENTS = (select(_incidents).where(_incidents.c.state != IncidentState.STOOD_DOWN.value)
                   .order_by(_incidents.c.activated_at.desc()).limit(bindparam("limit")))


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

    def unprocessed(self, *, received_before: datetime) -> list[int]:
        """Requests recorded at submit whose processing never ran (the process died after the ack), or was
        cut off between making the request pending and recording the team's DMs (none recorded)."""
        r = m.ActivationRequest
        return list(self.s.scalars(select(r.id).where(
            or_(r.status == records.RequestStatus.RECEIVED,
                and_(r.status == records.RequestStatus.PENDING, func.json_array_length(r.approval_messages) == 0)),
            r.created_at < received_before).order_by(r.id)))

    def set_approval_messages(self, request_id: int, messages: list[tuple[str, str]]) -> None:
        self.s.execute(
            update(m.ActivationRequest).where(m.ActivationRequest.id == request_id)
            .values(approval_messages=[list(x) for x in messages])
        )


class IncidentRepository:
    def __init__(self, session: Session):
        self.s = session
        self.changed = False  # an incident row was written: the unit of work says so after its commit

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
        self.changed |= result.rowcount == 1
        return result.rowcount == 1

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
        self.changed |= result.rowcount == 1
        return result.rowcount == 1

    def set_fields(self, incident_id: int, **values) -> None:
        allowed = {"channel_id", "channel_name", "header_ts", "announce_ts"}
        if not values.keys() <= allowed:
            raise ValueError(f"not settable here: {set(values) - allowed}")
        self.s.execute(update(m.Incident).where(m.Incident.id == incident_id).values(**values))
        self.changed = True

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
        return result.rowcount == 1

    def set_step_detail(self, step_id: int, **values) -> bool:
        """Set a step's assignee or note; False when it already had that value."""
        if not values.keys() <= {"assignee", "note"} or len(values) != 1:
            raise ValueError("set one of assignee, note")
        (column, value), = values.items()
        result = self.s.execute(update(m.ChecklistStep).where(
            m.ChecklistStep.id == step_id, getattr(m.ChecklistStep, column).is_distinct_from(value)).values(**values))
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


_OPEN_STATES = [s.value for s in IncidentState if s is not IncidentState.STOOD_DOWN]


class HomeRepository:
    """App Home's reads: a fixed number of statements, each served by an index, however much history there is."""

    def __init__(self, session: Session):
        self.s = session

    def count_open(self) -> int:
        # `state IN (open states)`, not `!= stood_down`: an index range, not a scan of every stood-down row.
        return self.s.scalar(select(func.count()).select_from(m.Incident).where(m.Incident.state.in_(_OPEN_STATES))) or 0

    def open_incidents(self, limit: int) -> list[records.Incident]:
        rows = self.s.scalars(select(m.Incident).where(m.Incident.state.in_(_OPEN_STATES))
                              .order_by(m.Incident.activated_at.desc(), m.Incident.id.desc()).limit(limit))
        return [_incident(r) for r in rows]

    def phase_progress(self, incident_ids: list[int]) -> dict[int, records.Progress]:
        """Each incident's progress in its current phase, all in one grouped query."""
        if not incident_ids:
            return {}
        step, incident = m.ChecklistStep, m.Incident
        rows = self.s.execute(
            select(step.incident_id, func.count(), func.sum(case((step.status != records.StepStatus.OPEN.value, 1), else_=0)))
            .join(incident, and_(incident.id == step.incident_id, incident.state == step.phase))
            .where(step.incident_id.in_(incident_ids)).group_by(step.incident_id)
        )
        return {incident_id: records.Progress(done=int(done or 0), total=int(total)) for incident_id, total, done in rows}

    def stood_down(self, limit: int, *, before: tuple[datetime, int] | None = None) -> list[records.Incident]:
        """Stood-down incidents, most recently stood down first; `before` is the (stood_down_at, id) of the
        last one already shown (keyset paging: the same cost on page 1 and page 10,000)."""
        query = select(m.Incident).where(m.Incident.state == IncidentState.STOOD_DOWN.value,
                                         m.Incident.stood_down_at.is_not(None))
        if before is not None:
            at, incident_id = before
            query = query.where(m.Incident.stood_down_at <= at,
                                or_(m.Incident.stood_down_at < at, m.Incident.id < incident_id))
        rows = self.s.scalars(query.order_by(m.Incident.stood_down_at.desc(), m.Incident.id.desc()).limit(limit))
        return [_incident(r) for r in rows]


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


# Plan governance ---------------------------------------------------------------------------------
_GOVERNANCE_COLUMNS = (
    m.PlanGovernance.plan_key, m.PlanGovernance.next_review, m.PlanGovernance.next_test,
    m.PlanGovernance.file_review_next, m.PlanGovernance.file_test_next, m.PlanGovernance.last_review_at,
    m.PlanGovernance.last_review_by, m.PlanGovernance.last_test_on, m.PlanGovernance.last_test_by,
    m.PlanGovernance.last_test_type, m.PlanGovernance.last_test_notes, m.PlanGovernance.last_test_incident_id,
    m.PlanGovernance.review_snoozed_until, m.PlanGovernance.test_snoozed_until,
    m.PlanGovernance.review_flagged_after_incident, m.PlanGovernance.unresolved_owners,
    m.PlanGovernance.unresolved_checked_at,
)
# Any fixed number: the key of PostgreSQL's advisory lock that lets one replica sweep at a time.
PG_SWEEP_LOCK = 0x62636272656D


# Reminders by the thousand as one JSON parameter: a statement about them stays one statement and
# one round trip (an IN list is chunked, an executemany runs row by row). Plans whose reminders are
# at the same stage share one entry with a list of plan keys, so after a mass send it is a few
# entries, which SQLite reads fast; each entry's fields are read once (MATERIALIZED).
def _json_cte(session: Session, name: str, fields: tuple[tuple[str, str], ...]) -> str:
    """`name AS MATERIALIZED (...)`, a common table expression of the rows of the JSON array of
    objects in the bind parameter `name`. Fields are (key, PostgreSQL type); a `jsonb` field is a
    JSON array (see _elements). SQLite reads dates as the ISO text it stores them as."""
    if session.get_bind().dialect.name == "postgresql":
        types = ", ".join(f"{key} {type_}" for key, type_ in fields)
        rows = f"SELECT * FROM jsonb_to_recordset(CAST(:{name} AS jsonb)) AS x({types})"
    else:
        rows = "SELECT " + ", ".join(f"json_extract(value, '$.{key}') AS {key}" for key, _ in fields) + \
            f" FROM json_each(:{name})"
    return f"{name} AS MATERIALIZED ({rows})"


def _elements(session: Session, array: str, alias: str) -> str:
    """The text elements of a JSON array, as a FROM item with one column, `value`."""
    if session.get_bind().dialect.name == "postgresql":
        return f"jsonb_array_elements_text({array}) AS {alias}(value)"
    return f"json_each({array}) AS {alias}"


def _governance(row) -> Governance:
    values = dict(row._mapping)
    values["unresolved_owners"] = tuple(values["unresolved_owners"] or ())
    return Governance(**values)


def _insert_ignoring_duplicates(session: Session, model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: rows another process inserted first are left as they are."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - bcbot supports SQLite and PostgreSQL
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(model), [row])
            except IntegrityError:
                pass
        return
    session.execute(dialect_insert(model).on_conflict_do_nothing(), rows)


class GovernanceRepository:
    """Plans' review and test dates and records."""

    def __init__(self, session: Session):
        self.s = session

    def sync(self, file_dates: dict[str, tuple[date, date]], now: datetime) -> dict[str, list[str]]:
        """Make the database follow the plan files: a row for each new plan, and a plan whose file's
        `review.next` (or `testing.next`) changed takes the new date, dropping snoozes and flags.

        Safe when several processes start at once (insert-or-ignore, compare-and-set updates).
        """
        g = m.PlanGovernance
        known = {key: (review, test) for key, review, test in
                 self.s.execute(select(g.plan_key, g.file_review_next, g.file_test_next))}
        added = [key for key in file_dates if key not in known]
        _insert_ignoring_duplicates(self.s, g, [
            {"plan_key": key, "next_review": file_dates[key][0], "next_test": file_dates[key][1],
             "file_review_next": file_dates[key][0], "file_test_next": file_dates[key][1],
             "unresolved_owners": [], "updated_at": now}
            for key in added
        ])
        review_reset, test_reset = [], []
        for key, (review, test) in file_dates.items():
            if key not in known:
                continue
            old_review, old_test = known[key]
            if review != old_review:
                self.s.execute(update(g).where(g.plan_key == key, g.file_review_next == old_review).values(
                    next_review=review, file_review_next=review, review_snoozed_until=None,
                    review_flagged_after_incident=None, updated_at=now))
                review_reset.append(key)
            if test != old_test:
                self.s.execute(update(g).where(g.plan_key == key, g.file_test_next == old_test).values(
                    next_test=test, file_test_next=test, test_snoozed_until=None, updated_at=now))
                test_reset.append(key)
        return {"added": added, "review_reset": review_reset, "test_reset": test_reset}

    def due_by(self, horizon: date) -> list[DueRow]:
        """The plans with a review or test due on or before `horizon`: the sweep's one read of this
        table (both dates are indexed; few columns, plain rows, so 10,000 plans read in milliseconds)."""
        g = m.PlanGovernance
        rows = self.s.connection().execute(select(
            g.plan_key, g.next_review, g.next_test, g.review_snoozed_until, g.test_snoozed_until, g.review_reminded_for,
            g.review_reminded_stage, g.test_reminded_for, g.test_reminded_stage,
        ).where(or_(g.next_review <= horizon, g.next_test <= horizon))).all()
        return [DueRow(*r) for r in rows]

    def reminded(self, done: list[tuple[str, Kind, date, int]]) -> None:
        """(plan, kind, due date, stage): every recipient of the reminder's stages up to `stage` is
        dealt with, if that due date is still current. One statement, each plan's row written once,
        however many plans (row by row, 20,000 took 0.2 s on SQLite and 0.6 s on PostgreSQL)."""
        stages: dict[tuple[Kind, date, int], list[str]] = {}
        for plan, kind, due, stage in done:
            stages.setdefault((kind, due, stage), []).append(plan)
        if not stages:
            return
        g = "plan_governance"
        mark = ", ".join(f"max(CASE WHEN s.k = '{kind}' THEN s.{field} END) AS {kind[0]}{field}"
                         for kind in (Kind.REVIEW, Kind.TEST) for field in ("d", "s"))
        sets = ", ".join(
            f"{kind}_reminded_for = CASE WHEN {g}.next_{kind} = j.{kind[0]}d THEN j.{kind[0]}d "
            f"ELSE {g}.{kind}_reminded_for END, "
            f"{kind}_reminded_stage = CASE WHEN {g}.next_{kind} = j.{kind[0]}d THEN j.{kind[0]}s "
            f"ELSE {g}.{kind}_reminded_stage END" for kind in (Kind.REVIEW, Kind.TEST))
        # j, a row per plan, materialized: each plan's row is found by its key (not, per plan, every
        # row due that day)
        self.s.connection().execute(text(
            f"WITH {_json_cte(self.s, 'stages', (('k', 'text'), ('d', 'date'), ('s', 'integer'), ('ps', 'jsonb')))}, "
            f"j AS MATERIALIZED (SELECT p.value AS plan_key, {mark} FROM stages AS s "
            f"CROSS JOIN {_elements(self.s, 's.ps', 'p')} GROUP BY p.value) "
            f"UPDATE {g} SET {sets} FROM j "
            f"WHERE {g}.plan_key = j.plan_key AND ({g}.next_review = j.rd OR {g}.next_test = j.td)"),
            {"stages": json.dumps([{"k": str(kind), "d": due.isoformat(), "s": stage, "ps": plans}
                                   for (kind, due, stage), plans in stages.items()])})

    def next_dates(self) -> dict[str, tuple[date, date]]:
        """Every plan's (next review, next test) as recorded: one query, whatever the number of plans."""
        g = m.PlanGovernance
        return {key: (review, test) for key, review, test in
                self.s.connection().execute(select(g.plan_key, g.next_review, g.next_test)).all()}

    def get(self, plan_key: str) -> Governance | None:
        row = self.s.execute(select(*_GOVERNANCE_COLUMNS).where(m.PlanGovernance.plan_key == plan_key)).first()
        return _governance(row) if row else None

    def all(self) -> list[Governance]:
        return [_governance(r) for r in self.s.execute(select(*_GOVERNANCE_COLUMNS).order_by(m.PlanGovernance.plan_key))]

    def mark_reviewed(self, plan_key: str, *, was_due: date, next_review: date, by: str, at: datetime) -> bool:
        """Record a review of the review that was due on `was_due`; False if the date had already
        moved (someone else marked it reviewed first, or the plan file changed it)."""
        g = m.PlanGovernance
        flagged = self.s.scalar(select(g.review_flagged_after_incident).where(g.plan_key == plan_key))
        result = self.s.execute(update(g).where(g.plan_key == plan_key, g.next_review == was_due).values(
            next_review=next_review, last_review_at=at, last_review_by=by, review_snoozed_until=None,
            review_flagged_after_incident=None, updated_at=at))
        if result.rowcount != 1:
            return False
        self.s.add(m.PlanReview(plan_key=plan_key, reviewed_at=at, reviewed_by=by, was_due_on=was_due,
                                next_review=next_review, after_incident=flagged))
        return True

    def snooze(self, plan_key: str, kind: Kind, *, due: date, until: datetime, now: datetime) -> bool:
        """Silence the reminder due on `due` until `until`; False if that date is no longer current."""
        g = m.PlanGovernance
        date_column, snooze_column = ((g.next_review, "review_snoozed_until") if kind == Kind.REVIEW
                                      else (g.next_test, "test_snoozed_until"))
        result = self.s.execute(update(g).where(g.plan_key == plan_key, date_column == due)
                                .values({snooze_column: until, "updated_at": now}))
        return result.rowcount == 1

    def record_test(self, test: PlanTest, *, next_test: date, now: datetime) -> bool:
        """Add a test to the plan's record. It becomes the plan's last test (and sets the next test
        date) unless a later test is already recorded. False if this incident's test was recorded."""
        try:
            with self.s.begin_nested():
                self.s.add(m.PlanTest(plan_key=test.plan_key, test_type=test.test_type.value, held_on=test.held_on,
                                      recorded_by=test.recorded_by, recorded_at=now, notes=test.notes,
                                      incident_id=test.incident_id, report=dict(test.report)))
        except IntegrityError:
            return False
        g = m.PlanGovernance
        self.s.execute(update(g).where(g.plan_key == test.plan_key,
                                       or_(g.last_test_on.is_(None), g.last_test_on <= test.held_on)).values(
            last_test_on=test.held_on, last_test_by=test.recorded_by, last_test_type=test.test_type.value,
            last_test_notes=test.notes, last_test_incident_id=test.incident_id, next_test=next_test,
            test_snoozed_until=None, updated_at=now))
        return True

    def tests(self, plan_key: str) -> list[PlanTest]:
        rows = self.s.scalars(select(m.PlanTest).where(m.PlanTest.plan_key == plan_key).order_by(m.PlanTest.id))
        return [PlanTest(plan_key=r.plan_key, test_type=PlanTestType(r.test_type), held_on=r.held_on,
                         recorded_by=r.recorded_by, notes=r.notes, incident_id=r.incident_id, report=r.report or {})
                for r in rows]

    def flag_review(self, plan_key: str, *, today: date, incident_id: int, now: datetime) -> date | None:
        """Make the plan's review due today (or keep an earlier date) after an incident; the new date."""
        g = m.PlanGovernance
        self.s.execute(update(g).where(g.plan_key == plan_key).values(
            next_review=case((g.next_review > today, today), else_=g.next_review),
            review_flagged_after_incident=incident_id, review_snoozed_until=None, updated_at=now))
        return self.s.scalar(select(g.next_review).where(g.plan_key == plan_key))

    def set_unresolved(self, plan_key: str, emails: list[str], now: datetime) -> list[str]:
        """Store the owners Slack could not find; returns those not already stored (to log once)."""
        g = m.PlanGovernance
        before = self.s.scalar(select(g.unresolved_owners).where(g.plan_key == plan_key))
        if before is None:
            return []
        emails = sorted(set(emails))
        self.s.execute(update(g).where(g.plan_key == plan_key).values(unresolved_owners=emails,
                                                                        unresolved_checked_at=now))
        return [e for e in emails if e not in before]

    def try_sweep_lock(self) -> bool:
        """PostgreSQL: take a transaction-scoped advisory lock, False if another replica holds it.
        SQLite: always True, and no transaction is started (it would block every writer)."""
        if self.s.get_bind().dialect.name != "postgresql":
            return True
        return bool(self.s.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PG_SWEEP_LOCK}))


def _claim(row) -> Claim:
    return Claim(id=row.id, key=ReminderKey(row.plan_key, row.kind, row.due_on, row.stage, row.recipient),
                 status=ClaimStatus(row.status), attempts=row.attempts)


_CLAIM_COLUMNS = (m.ReminderClaim.id, m.ReminderClaim.plan_key, m.ReminderClaim.kind, m.ReminderClaim.due_on,
                  m.ReminderClaim.stage, m.ReminderClaim.recipient, m.ReminderClaim.status, m.ReminderClaim.attempts)


class ReminderClaimRepository:
    """Reminders claimed before they are sent: the unique key is the exactly-once guard."""

    def __init__(self, session: Session):
        self.s = session

    def unfinished(self, stages: list[tuple[str, date, int, list[str], list[str]]]
                   ) -> dict[tuple[str, str, int], dict[str, tuple[int, str, int] | None]]:
        """Of these reminder stages — (kind, due date, stage, recipients, plan keys): that stage of
        each plan's reminder to each recipient — the sends not finished: (plan, kind, stage) ->
        {recipient: None if nobody has claimed it, else (claim ID, status, attempts) of a claim still
        `sending` or `failed`}. A recipient not listed has been dealt with (sent, covered, or maybe
        sent). One statement, however many stages, each send looked up on the claims' unique key;
        after a mass send that went well it returns nothing, not every claim."""
        if not stages:
            return {}
        fields = (("k", "text"), ("d", "date"), ("s", "integer"), ("rs", "jsonb"), ("ps", "jsonb"))
        query = text(
            f"WITH {_json_cte(self.s, 'stages', fields)} "
            f"SELECT p.value, g.k, g.s, r.value, c.id, c.status, c.attempts FROM stages AS g "
            f"CROSS JOIN {_elements(self.s, 'g.rs', 'r')} CROSS JOIN {_elements(self.s, 'g.ps', 'p')} "
            f"LEFT JOIN reminder_claims AS c ON c.plan_key = p.value AND c.kind = g.k AND c.due_on = g.d "
            f"AND c.stage = g.s AND c.recipient = r.value WHERE c.id IS NULL OR c.status IN (:sending, :failed)")
        rows = json.dumps([{"k": str(kind), "d": due.isoformat(), "s": stage, "rs": list(recipients), "ps": list(plans)}
                           for kind, due, stage, recipients, plans in stages])
        found: dict[tuple[str, str, int], dict[str, tuple[int, str, int] | None]] = {}
        for plan, kind, stage, recipient, claim_id, status, attempts in self.s.connection().execute(query, {
                "stages": rows, "sending": ClaimStatus.SENDING.value,
                "failed": ClaimStatus.FAILED.value}):
            found.setdefault((plan, kind, stage), {})[recipient] = None if claim_id is None else (
                claim_id, status, attempts)
        return found

    def find(self, key: ReminderKey) -> Claim | None:
        c = m.ReminderClaim
        row = self.s.execute(select(*_CLAIM_COLUMNS).where(
            c.plan_key == key.plan_key, c.kind == str(key.kind), c.due_on == key.due_on, c.stage == key.stage,
            c.recipient == key.recipient)).first()
        return _claim(row) if row else None

    def claim(self, key: ReminderKey, now: datetime) -> int | None:
        """Insert the claim; None if it exists already (sent, or being sent, by anyone)."""
        try:
            with self.s.begin_nested():
                row = m.ReminderClaim(plan_key=key.plan_key, kind=str(key.kind), due_on=key.due_on, stage=key.stage,
                                      recipient=key.recipient, status=ClaimStatus.SENDING.value, attempts=1,
                                      claimed_at=now)
                self.s.add(row)
        except IntegrityError:
            return None
        return row.id

    def reclaim(self, claim_id: int, *, attempts: int, now: datetime) -> bool:
        """Take a failed claim for another attempt; exactly one concurrent caller wins."""
        c = m.ReminderClaim
        result = self.s.execute(update(c).where(c.id == claim_id, c.status == ClaimStatus.FAILED.value,
                                                c.attempts == attempts)
                                .values(status=ClaimStatus.SENDING.value, attempts=attempts + 1, claimed_at=now))
        return result.rowcount == 1

    def sent(self, claim_id: int, *, now: datetime, channel_id: str | None, ts: str | None) -> None:
        c = m.ReminderClaim
        self.s.execute(update(c).where(c.id == claim_id).values(status=ClaimStatus.SENT.value, sent_at=now,
                                                                channel_id=channel_id, ts=ts, last_error=None))

    def failed(self, claim_id: int, *, error: str, delivered_maybe: bool) -> None:
        c = m.ReminderClaim
        status = ClaimStatus.UNKNOWN if delivered_maybe else ClaimStatus.FAILED
        self.s.execute(update(c).where(c.id == claim_id).values(status=status.value, last_error=error[:2000]))

    def cover(self, keys: list[ReminderKey], now: datetime) -> None:
        """Mark these reminders as done by another message (insert-or-ignore)."""
        _insert_ignoring_duplicates(self.s, m.ReminderClaim, [
            {"plan_key": k.plan_key, "kind": str(k.kind), "due_on": k.due_on, "stage": k.stage, "recipient": k.recipient,
             "status": ClaimStatus.COVERED.value, "attempts": 0, "claimed_at": now} for k in keys
        ])

    def messages(self, plan_key: str, kind: str, due_on: date) -> list[tuple[str, str]]:
        """Where the reminders about this due date were sent (channel, ts), to update them in place."""
        c = m.ReminderClaim
        rows = self.s.execute(select(c.channel_id, c.ts).where(
            c.plan_key == plan_key, c.kind == str(kind), c.due_on == due_on, c.status == ClaimStatus.SENT.value,
            c.ts.is_not(None)).order_by(c.id))
        return [(channel, ts) for channel, ts in rows]

    def retryable(self, kind: str, max_attempts: int) -> list[Claim]:
        c = m.ReminderClaim
        rows = self.s.execute(select(*_CLAIM_COLUMNS).where(c.status == ClaimStatus.FAILED.value, c.kind == kind,
                                                            c.attempts < max_attempts))
        return [_claim(r) for r in rows]
