"""Which activation requests the sweep picks up after a crash, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.domain.plan import load_plans
from bot.domain.records import ActivationForm, RequestStatus
from config import BUNDLED_PLANS

PLAN = load_plans(BUNDLED_PLANS)[0]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
FORM = ActivationForm(plan_id=PLAN.id, circumstance="Fire", summary="Smoke", services=(), lead_user_id="U0A")


def request(uow, view_id: str, status: RequestStatus | None = None, messages=()) -> int:
    with uow() as u:
        version = u.plans.version_id(PLAN, source="test", now=NOW)
        request_id = u.requests.add(view_id=view_id, plan_version_id=version, requested_by="U0A", form=FORM, now=NOW)
        if status:
            u.requests.transition(request_id, from_=(RequestStatus.RECEIVED,), to=status)
        if messages:
            u.requests.set_approval_messages(request_id, list(messages))
        u.commit()
    return request_id


def test_unprocessed_requests_are_those_never_processed_or_left_pending_without_the_teams_dms(uow):
    received = request(uow, "V1")
    never_asked = request(uow, "V2", RequestStatus.PENDING)
    request(uow, "V3", RequestStatus.PENDING, messages=[("D0B", "1.1")])
    request(uow, "V4", RequestStatus.ACTIVATED)
    with uow() as u:
        assert u.requests.unprocessed(received_before=NOW + timedelta(seconds=31)) == [received, never_asked]
        assert u.requests.unprocessed(received_before=NOW) == []  # too fresh: its own job may be at it
