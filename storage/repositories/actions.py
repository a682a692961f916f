"""The corrective-action register (`actions`, with its history in `action_events`) and management reviews."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from bot.domain.actions import (
    Action,
    ActionEvent,
    ActionInput,
    ActionStatus,
    ManagementReview,
    Source,
    SourceKind,
    action_ref,
)
from bot.domain.errors import NotFound
from storage import models as m
from storage.repositories._common import rowcount


def _action(row: m.CorrectiveAction) -> Action:
    source = Source(kind=SourceKind(row.source_kind), plan_key=row.plan_key, incident_id=row.incident_id,
                    review_id=row.review_id, note=row.source_note)
    return Action(id=row.id, title=row.title, owner=row.owner, due_on=row.due_on, status=ActionStatus(row.status),
                  source=source, created_at=row.created_at, created_by=row.created_by, closed_at=row.closed_at,
                  closed_by=row.closed_by, closing_note=row.closing_note, card_channel=row.card_channel,
                  card_ts=row.card_ts)


def _review(row: m.ManagementReview) -> ManagementReview:
    return ManagementReview(id=row.id, held_on=row.held_on, attendees=tuple(row.attendees or ()),
                            decisions=tuple(row.decisions or ()), recorded_by=row.recorded_by,
                            recorded_at=row.recorded_at, plan_key=row.plan_key)


class ActionRepository:
    def __init__(self, session):
        self.s = session

    # Writes ---------------------------------------------------------------------------------------------
    def add(self, given: ActionInput, source: Source, *, by: str, now: datetime,
            reminded_stage: int | None) -> Action:
        """A new open action; `reminded_stage`: the reminder stage its assignment DM stands for."""
        row = m.CorrectiveAction(title=given.title, owner=given.owner, due_on=given.due_on,
                                 status=ActionStatus.OPEN.value, plan_key=source.plan_key, source_kind=source.kind.value,
                                 incident_id=source.incident_id, review_id=source.review_id, source_note=source.note,
                                 created_at=now, created_by=by, reminded_for=given.due_on,
                                 reminded_stage=reminded_stage)
        self.s.add(row)
        self.s.flush()
        self.event(row.id, at=now, actor=by, kind="created", data={
            "title": given.title, "owner": given.owner, "due_on": given.due_on.isoformat()})
        return _action(row)

    def event(self, action_id: int, *, at: datetime, actor: str, kind: str, data: dict) -> None:
        self.s.add(m.ActionEvent(action_id=action_id, at=at, actor=actor, kind=kind, data=data))

    def change(self, action_id: int, *, owner: str, due_on: date, by: str, now: datetime,
               reminded_stage: int | None) -> bool:
        """Give an open action a new owner and/or due date; False if it is no longer open."""
        a = m.CorrectiveAction
        before = self.get(action_id)
        values: dict = {"owner": owner, "due_on": due_on}
        if due_on != before.due_on:  # a new date has its own reminders, from now on
            values |= {"reminded_for": due_on, "reminded_stage": reminded_stage, "late_told_for": None}
        done = self.s.execute(update(a).where(a.id == action_id, a.status == ActionStatus.OPEN.value).values(values))
        if not rowcount(done):
            return False
        self.event(action_id, at=now, actor=by, kind="changed", data={
            "owner": owner, "due_on": due_on.isoformat(), "was_owner": before.owner,
            "was_due_on": before.due_on.isoformat()})
        return True

    def close(self, action_id: int, status: ActionStatus, *, note: str, by: str, now: datetime) -> bool:
        """Done (with what was done) or dropped (with why), once: False if it was closed already."""
        a = m.CorrectiveAction
        done = self.s.execute(update(a).where(a.id == action_id, a.status == ActionStatus.OPEN.value).values(
            status=status.value, closed_at=now, closed_by=by, closing_note=note))
        if not rowcount(done):
            return False
        self.event(action_id, at=now, actor=by, kind=status.value, data={"note": note})
        return True

    def set_card(self, action_id: int, *, channel: str, ts: str) -> None:
        a = m.CorrectiveAction
        self.s.execute(update(a).where(a.id == action_id).values(card_channel=channel, card_ts=ts))

    def reminded(self, action_id: int, due_on: date, stage: int) -> None:
        """Every stage up to `stage` of this due date is dealt with (if it is still the due date)."""
        a = m.CorrectiveAction
        self.s.execute(update(a).where(a.id == action_id, a.due_on == due_on).values(
            reminded_for=due_on, reminded_stage=stage))

    def late_told(self, action_id: int, due_on: date) -> bool:
        a = m.CorrectiveAction
        done = self.s.execute(update(a).where(a.id == action_id, a.due_on == due_on,
                                              (a.late_told_for.is_(None)) | (a.late_told_for != due_on))
                              .values(late_told_for=due_on))
        return bool(rowcount(done))

    # Reads ----------------------------------------------------------------------------------------------
    def get(self, action_id: int) -> Action:
        row = self.s.get(m.CorrectiveAction, action_id)
        if row is None:
            raise NotFound(f"There is no action {action_ref(action_id)}.")
        return _action(row)

    def find(self, action_id: int) -> Action | None:
        row = self.s.get(m.CorrectiveAction, action_id)
        return _action(row) if row else None

    def find_all(self, *, plan_key: str | None = None, owner: str | None = None,
                 status: ActionStatus | None = None) -> list[Action]:
        a = m.CorrectiveAction
        query = select(a).order_by(a.id)
        if plan_key is not None:
            query = query.where(a.plan_key == plan_key)
        if owner is not None:
            query = query.where(a.owner == owner)
        if status is not None:
            query = query.where(a.status == status.value)
        return [_action(r) for r in self.s.scalars(query)]

    def of_incident(self, incident_id: int) -> list[Action]:
        a = m.CorrectiveAction
        return [_action(r) for r in self.s.scalars(select(a).where(a.incident_id == incident_id).order_by(a.id))]

    def of_owner(self, owner: str, *, closed_since: datetime, limit: int) -> list[Action]:
        """App Home's one read: the owner's open actions (soonest due first) and those closed since then."""
        a = m.CorrectiveAction
        query = select(a).where(a.owner == owner, (a.status == ActionStatus.OPEN.value) | (a.closed_at >= closed_since))
        return [_action(r) for r in self.s.scalars(query.order_by(a.due_on, a.id).limit(limit))]

    def due_by(self, horizon: date) -> list[tuple[Action, date | None, int | None, date | None]]:
        """Open actions due on or before `horizon`, each with its sweep cache (reminded for, stage, late told for)."""
        a = m.CorrectiveAction
        rows = self.s.scalars(select(a).where(a.status == ActionStatus.OPEN.value, a.due_on <= horizon).order_by(a.id))
        return [(_action(r), r.reminded_for, r.reminded_stage, r.late_told_for) for r in rows]

    def events(self, action_ids: list[int]) -> dict[int, list[ActionEvent]]:
        if not action_ids:
            return {}
        e = m.ActionEvent
        found: dict[int, list[ActionEvent]] = {}
        for r in self.s.scalars(select(e).where(e.action_id.in_(action_ids)).order_by(e.at, e.id)):
            found.setdefault(r.action_id, []).append(ActionEvent(r.action_id, r.at, r.actor, r.kind, dict(r.data)))
        return found


class ManagementReviewRepository:
    def __init__(self, session):
        self.s = session

    def add(self, *, held_on: date, attendees: list[str], decisions: list[str], by: str, now: datetime,
            plan_key: str | None) -> ManagementReview:
        row = m.ManagementReview(held_on=held_on, attendees=attendees, decisions=decisions, recorded_by=by,
                                 recorded_at=now, plan_key=plan_key)
        self.s.add(row)
        self.s.flush()
        return _review(row)

    def get(self, review_id: int) -> ManagementReview:
        row = self.s.get(m.ManagementReview, review_id)
        if row is None:
            raise NotFound(f"There is no management review MR-{review_id}.")
        return _review(row)

    def find_all(self, *, since: date | None = None, until: date | None = None) -> list[ManagementReview]:
        r = m.ManagementReview
        query = select(r).order_by(r.held_on, r.id)
        if since is not None:
            query = query.where(r.held_on >= since)
        if until is not None:
            query = query.where(r.held_on <= until)
        return [_review(x) for x in self.s.scalars(query)]
