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


def test_ten_decisions_at_once_are_all_recorded_and_numbered_without_gaps(uow):
    incident_id = new_incident(uow)
    barrier = threading.Barrier(10)
    errors = []

    def decide(n):
        barrier.wait()
        try:
            with uow() as u:
                u.decisions.add(incident_id=incident_id, decision=f"decision {n}", rationale=None, options=None,
                                decided_by="U0A", logged_by="U0A", corrects=None, source_link=None, now=NOW)
                u.commit()
        except Exception as exc:  # the old number-and-retry gave up under this load
            errors.append(exc)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(10)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with uow() as u:
        decisions = u.decisions.list(incident_id)
    assert [d.number for d in decisions] == list(range(1, 11))
    assert sorted(d.decision for d in decisions) == sorted(f"decision {n}" for n in range(10))


def test_outbox_claims_are_exclusive_until_the_lease_runs_out(uow):
    from bot.domain.outbox import Task

    subject = f"incident:{new_incident(uow)}"
    with uow() as u:
        u.outbox.add(subject, [Task("create_channel")], NOW)
        u.outbox.add(subject, [Task("create_channel")], NOW)  # owed once, however often it is asked for
        u.commit()
    with uow() as u:
        first = u.outbox.claim(subject, "create_channel", "w1", NOW, NOW + timedelta(seconds=30))
        u.commit()
    assert first is not None and first.attempts == 1
    with uow() as u:
        assert u.outbox.claim(subject, "create_channel", "w2", NOW + timedelta(seconds=5), NOW + timedelta(seconds=35)) is None
        taken = u.outbox.claim(subject, "create_channel", "w2", NOW + timedelta(seconds=31), NOW + timedelta(seconds=61))
        assert taken is not None and taken.attempts == 2
        assert u.outbox.done(first, "w1", NOW, {}) is True  # the first worker's late answer: not its task now
        assert u.outbox.pending(subject) == {"create_channel": 2}
        assert u.outbox.done(taken, "w2", NOW, {"channel": "C1"}) is True
        u.commit()
    with uow() as u:
        assert u.outbox.pending(subject) == {} and u.outbox.result_of(subject, "create_channel") == {"channel": "C1"}


def test_a_render_re_armed_while_it_runs_runs_again(uow):
    from bot.domain.outbox import Task

    subject = f"incident:{new_incident(uow)}"
    render = Task("render_header", name="render:header")
    with uow() as u:
        u.outbox.arm(subject, render, NOW)
        u.commit()
    with uow() as u:
        running = u.outbox.claim(subject, "render:header", "w1", NOW, NOW + timedelta(seconds=30))
        u.commit()
    with uow() as u:  # a click commits while the render reads older state
        u.outbox.arm(subject, render, NOW)
        u.commit()
    with uow() as u:
        assert running is not None and u.outbox.done(running, "w1", NOW, {}) is False
        u.commit()
    with uow() as u:
        again = u.outbox.claim(subject, "render:header", "w1", NOW, NOW + timedelta(seconds=30))
        assert again is not None and u.outbox.done(again, "w1", NOW, {}) is True
        u.commit()
    with uow() as u:
        assert u.outbox.pending(subject) == {}


def test_log_repository_offers_no_update_or_delete():
    from storage.repositories.incidents import LogRepository

    public = {name for name in dir(LogRepository) if not name.startswith("_")}
    assert public == {"append", "entries", "phase_changes"}  # one write, and reads


def test_naive_datetimes_are_refused(uow):
    with pytest.raises(Exception, match="naive"):
        with uow() as u:
            u.plans.version_id(PLAN, source="x", now=datetime(2026, 1, 1))
            u.commit()


def test_a_lease_renewal_skips_a_task_another_transaction_is_re_arming(uow, any_db_url):
    """On PostgreSQL a renewal that waited for such a row while holding others deadlocked (found by bench/)."""
    from sqlalchemy import select, text

    from bot.domain.outbox import Task
    from storage import models

    if not any_db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: nothing to skip")
    subject = f"incident:{new_incident(uow)}"
    with uow() as u:
        u.outbox.add(subject, [Task("render_header", name="a"), Task("render_header", name="b")], NOW)
        u.commit()
    with uow() as u:
        a = u.outbox.claim(subject, "a", "w1", NOW, NOW + timedelta(seconds=6))
        b = u.outbox.claim(subject, "b", "w1", NOW, NOW + timedelta(seconds=6))
        u.commit()
    assert a is not None and b is not None
    with uow() as rearming, uow() as renewing:
        rearming.outbox.arm(subject, Task("render_header", name="b"), NOW)  # holds b's row lock
        renewing.session.execute(text("SET LOCAL lock_timeout = '2s'"))  # a renewal that waited fails, not hangs
        renewing.outbox.renew([a.id, b.id], "w1", NOW + timedelta(seconds=12))  # must not wait for it
        renewing.commit()
        rearming.commit()
    with uow() as u:
        until = dict(u.session.execute(select(models.OutboxTask.name, models.OutboxTask.claimed_until)
                                       .where(models.OutboxTask.subject == subject)).all())
    assert until["a"] == NOW + timedelta(seconds=12) and until["b"] == NOW + timedelta(seconds=6)
