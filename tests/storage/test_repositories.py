"""Repositories on a real database: versions, one-winner transitions, UTC times, append-only log."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.plan import load_plans
from bot.domain.records import ActivationForm, RequestStatus, StepStatus
from config import BUNDLED_PLANS

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
PLAN = load_plans(BUNDLED_PLANS)[0]


def new_incident(uow, view_id="V1"):
    with uow() as u:
        version = u.plans.version_id(PLAN, source="test", now=NOW)
        form = ActivationForm(plan_id=PLAN.id, circumstance="Loss of critical systems", summary="x", services=(),
                              lead_user_id="U0LEAD")
        request_id = u.requests.add(view_id=view_id, plan_version_id=version, requested_by="U0A", form=form, now=NOW)
        assert u.requests.transition(request_id, from_=(RequestStatus.RECEIVED,), to=RequestStatus.ACTIVATED)
        incident_id = u.incidents.add(request=u.requests.get(request_id), plan=PLAN, activated_by="U0A",
                                      approved_by=None, now=NOW)
        u.commit()
    return incident_id


def test_plan_versions_are_stored_once_per_content(uow):
    with uow() as u:
        first = u.plans.version_id(PLAN, source="a", now=NOW)
        again = u.plans.version_id(PLAN, source="b", now=NOW)
        changed = u.plans.version_id(PLAN.model_copy(update={"title": "Changed"}), source="a", now=NOW)
        u.commit()
    assert first == again != changed
    with uow() as u:
        assert u.plans.snapshot(first) == PLAN


def test_incident_gets_every_phase_step_and_utc_times(uow):
    incident_id = new_incident(uow)
    with uow() as u:
        incident = u.incidents.get(incident_id)
        steps = u.incidents.steps(incident_id)
    assert incident.activated_at == NOW and incident.activated_at.tzinfo is not None
    assert len(steps) == sum(len(p.steps) for p in PLAN.phases)
    assert steps[0].due_within_minutes == 15


def test_a_double_submit_records_one_request(uow):
    new_incident(uow, view_id="Vsame")
    with uow() as u:
        form = ActivationForm(plan_id=PLAN.id, circumstance="c", summary="s", services=(), lead_user_id="U0LEAD")
        assert u.requests.add(view_id="Vsame", plan_version_id=1, requested_by="U0A", form=form, now=NOW) is None


def test_concurrent_step_changes_have_one_winner(uow):
    incident_id = new_incident(uow)
    with uow() as u:
        step_id = u.incidents.steps(incident_id)[0].id
    wins = []
    barrier = threading.Barrier(4)

    def click():
        barrier.wait()
        with uow() as u:
            wins.append(u.incidents.set_step_status(step_id, status=StepStatus.DONE, by="U0A", now=NOW))
            u.commit()

    threads = [threading.Thread(target=click) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(wins) == [False, False, False, True]


def test_outbox_claims_are_exclusive_until_the_lease_runs_out(uow):
    incident_id = new_incident(uow)
    with uow() as u:
        u.outbox.add(incident_id, ["create_channel"], NOW)
        u.commit()
    with uow() as u:
        assert u.outbox.claim(incident_id, "create_channel", NOW, NOW + timedelta(seconds=30)) == 0
        u.commit()
    with uow() as u:
        assert u.outbox.claim(incident_id, "create_channel", NOW + timedelta(seconds=5), NOW + timedelta(seconds=35)) is None
        assert u.outbox.claim(incident_id, "create_channel", NOW + timedelta(seconds=31), NOW + timedelta(seconds=61)) == 1
        u.outbox.done(incident_id, "create_channel", NOW)
        u.commit()
    with uow() as u:
        assert u.outbox.pending(incident_id) == {}


def test_log_repository_offers_no_update_or_delete():
    from storage.repositories.incidents import LogRepository

    public = {name for name in dir(LogRepository) if not name.startswith("_")}
    assert public == {"append", "entries"}


def test_naive_datetimes_are_refused(uow):
    with pytest.raises(Exception, match="naive"):
        with uow() as u:
            u.plans.version_id(PLAN, source="x", now=datetime(2026, 1, 1))
            u.commit()
