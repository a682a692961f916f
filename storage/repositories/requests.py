"""Activation requests: a submitted form, until it is approved, declined or processed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import records
from storage import models as m
from storage.repositories._common import rowcount


def _request(row: m.ActivationRequest, plan_key: str) -> records.ActivationRequest:
    form = records.ActivationForm(
        plan_id=plan_key, circumstance=row.circumstance, summary=row.summary, services=tuple(row.services or ()),
        lead_user_id=row.lead_user_id, is_exercise=row.is_exercise, roll_call=bool(row.roll_call),
        confidential=row.confidential, disrupted_at=row.disrupted_at,
    )
    return records.ActivationRequest(
        id=row.id, plan_version_id=row.plan_version_id, requested_by=row.requested_by, form=form,
        status=records.RequestStatus(row.status), decided_by=row.decided_by, created_at=row.created_at,
        approval_messages=tuple(tuple(x) for x in row.approval_messages or ()),
    )


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
                    lead_user_id=form.lead_user_id, is_exercise=form.is_exercise, roll_call=form.roll_call,
                    confidential=form.confidential,
                    disrupted_at=min(form.disrupted_at, now) if form.disrupted_at else None,
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
        return rowcount(result) == 1

    def set_approval_messages(self, request_id: int, messages: list[tuple[str, str]]) -> None:
        self.s.execute(
            update(m.ActivationRequest).where(m.ActivationRequest.id == request_id)
            .values(approval_messages=[list(x) for x in messages])
        )
