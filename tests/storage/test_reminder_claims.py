"""Reminder claims and plan governance rows on SQLite and PostgreSQL; several processes at once; the sweep at scale.

The `engine`/`uow` fixtures (tests/storage/conftest.py) run each test on a SQLite file and, where a server
answers on 127.0.0.1:5432, on a fresh PostgreSQL schema (skipped with the reason otherwise).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain.reminders import ClaimStatus, Kind, PlanTest, PlanTestType, ReminderKey
from storage import models as m
from tests.support import people
from tests.support.plans import write_plans
from tests.support.postgres import postgres_schema_url

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 5, 10, 12, tzinfo=timezone.utc)
DUE = date(2027, 5, 14)


def key(recipient: str = people.PARKS, stage: int = -7, kind: Kind = Kind.TEST, due: date = DUE) -> ReminderKey:
    return ReminderKey("wunderroot-bcp", kind, due, stage, recipient)


def sync(uow, plans: dict[str, tuple[date, date]], now: datetime = NOW) -> dict:
    with uow() as u:
        changes = u.governance.sync(plans, now)
        u.commit()
    return changes


# Claims --------------------------------------------------------------------------------------
def test_a_reminder_is_claimed_once(uow):
    with uow() as u:
        first = u.reminders.claim(key(), NOW)
        u.commit()
    with uow() as u:
        again = u.reminders.claim(key(), NOW)  # another sweep, process or restart
        other = u.reminders.claim(key(people.HUNTON), NOW)  # another recipient is another reminder
        u.commit()
    assert first is not None and again is None and other not in (None, first)
    with uow() as u:
        assert u.reminders.find(key()).status is ClaimStatus.SENDING
        u.reminders.sent(first, now=NOW, channel_id="D0SPARKS01", ts="1.1")
        u.commit()
        assert u.reminders.find(key()).status is ClaimStatus.SENT


def test_a_failed_send_is_taken_again_by_one_caller_only(uow):
    with uow() as u:
        claim_id = u.reminders.claim(key(), NOW)
        u.reminders.failed(claim_id, error="user_not_found", delivered_maybe=False)
        u.commit()
    with uow() as u:
        [failed] = u.reminders.retryable(Kind.TEST.value, 3)
        assert failed.id == claim_id and failed.attempts == 1
    with uow() as a, uow() as b:
        won_a = a.reminders.reclaim(claim_id, attempts=1, now=NOW)
        a.commit()
        won_b = b.reminders.reclaim(claim_id, attempts=1, now=NOW)
        b.commit()
    assert (won_a, won_b) == (True, False)
    with uow() as u:
        u.reminders.failed(claim_id, error="timeout", delivered_maybe=True)
        u.commit()
        assert u.reminders.find(key()).status is ClaimStatus.UNKNOWN  # maybe delivered: never retried
        assert u.reminders.retryable(Kind.TEST.value, 3) == []


def test_covering_marks_reminders_done_without_touching_claimed_ones(uow):
    with uow() as u:
        u.reminders.claim(key(stage=-7), NOW)
        u.commit()
    with uow() as u:
        u.reminders.cover([key(stage=-7), key(stage=0)], NOW)
        u.reminders.cover([key(stage=0)], NOW)  # twice is fine
        u.commit()
        assert u.reminders.find(key(stage=-7)).status is ClaimStatus.SENDING
        assert u.reminders.find(key(stage=0)).status is ClaimStatus.COVERED


# Governance rows -------------------------------------------------------------------------------
def test_sync_follows_the_plan_files(uow):
    assert sync(uow, {"a": (date(2027, 11, 15), DUE)})["added"] == ["a"]
    assert sync(uow, {"a": (date(2027, 11, 15), DUE)}) == {"added": [], "review_reset": [], "test_reset": []}
    with uow() as u:
        assert u.governance.mark_reviewed("a", was_due=date(2027, 11, 15), next_review=date(2028, 11, 15),
                                          by=people.PARKS, at=NOW)
        assert u.governance.snooze("a", Kind.TEST, due=DUE, until=NOW + timedelta(days=7), now=NOW)
        u.commit()
    # Restarting with the same file keeps the database's dates.
    sync(uow, {"a": (date(2027, 11, 15), DUE)})
    with uow() as u:
        gov = u.governance.get("a")
    assert gov.next_review == date(2028, 11, 15) and gov.test_snoozed_until == NOW + timedelta(days=7)
    # A changed review.next in the file resets the review date; the test date stays.
    changes = sync(uow, {"a": (date(2027, 12, 1), DUE), "b": (DUE, DUE)})
    assert changes == {"added": ["b"], "review_reset": ["a"], "test_reset": []}
    with uow() as u:
        gov = u.governance.get("a")
    assert (gov.next_review, gov.file_review_next, gov.last_review_by) == (date(2027, 12, 1), date(2027, 12, 1), people.PARKS)
    assert gov.test_snoozed_until is not None
    changes = sync(uow, {"a": (date(2027, 12, 1), date(2027, 6, 1))})
    with uow() as u:
        gov = u.governance.get("a")
    assert changes["test_reset"] == ["a"] and gov.next_test == date(2027, 6, 1) and gov.test_snoozed_until is None


def test_two_processes_syncing_at_once_both_succeed(engine, uow):
    from storage.db import make_session_factory
    from storage.uow import uow_factory

    other = uow_factory(make_session_factory(engine))
    with uow() as a, other() as b:
        a.governance.sync({"a": (DUE, DUE)}, NOW)
        a.commit()
        b.governance.sync({"a": (DUE, DUE), "b": (DUE, DUE)}, NOW)  # read "a" as new before a's commit? no matter
        b.commit()
    with uow() as u:
        assert [g.plan_key for g in u.governance.all()] == ["a", "b"]


def test_next_dates_of_every_plan_in_one_query(uow):
    sync(uow, {"a": (date(2027, 11, 15), DUE), "b": (DUE, date(2027, 12, 1))})
    with uow() as u:
        u.governance.mark_reviewed("a", was_due=date(2027, 11, 15), next_review=date(2028, 11, 15), by=people.PARKS, at=NOW)
        u.commit()
    with uow(read_only=True) as u:
        assert u.governance.next_dates() == {"a": (date(2028, 11, 15), DUE), "b": (DUE, date(2027, 12, 1))}


def test_candidates_are_the_plans_due_within_the_horizon(uow):
    sync(uow, {"soon": (date(2027, 12, 1), date(2027, 6, 10)), "later": (date(2027, 12, 1), date(2027, 12, 1)),
               "review-soon": (date(2027, 6, 1), date(2028, 1, 1))})
    with uow() as u:
        assert sorted(g.plan_key for g in u.governance.due_by(date(2027, 6, 10))) == ["review-soon", "soon"]


def test_unfinished_sends_are_the_unclaimed_the_sending_and_the_failed(uow):
    with uow() as u:
        sent = u.reminders.claim(key(people.PARKS), NOW)
        u.reminders.sent(sent, now=NOW, channel_id="D0SPARKS01", ts="1.1")
        sending = u.reminders.claim(key(people.HUNTON), NOW)
        failed = u.reminders.claim(key(people.BAKER), NOW)
        u.reminders.failed(failed, error="channel_not_found", delivered_maybe=False)
        maybe = u.reminders.claim(key(people.OUTSIDER), NOW)
        u.reminders.failed(maybe, error="timed out", delivered_maybe=True)
        u.reminders.cover([key(people.LEAD)], NOW)
        u.reminders.claim(key("U0OLDDATE1", due=DUE - timedelta(days=365)), NOW)  # an old due date
        u.reminders.claim(key("U0OTHERST1", stage=-30), NOW)  # another stage
        u.reminders.claim(key(people.PARKS, kind=Kind.REVIEW), NOW)  # the other reminder
        u.commit()
        everyone = [people.PARKS, people.HUNTON, people.BAKER, people.OUTSIDER, people.LEAD, "U0OLDDATE1", "U0OTHERST1"]
        found = u.reminders.unfinished([(Kind.TEST, DUE, -7, everyone, ["wunderroot-bcp", "another"]),
                                        (Kind.REVIEW, DUE, -7, [people.HUNTON], ["wunderroot-bcp"])])
    # sent, maybe sent (never retried) and covered are dealt with: not listed
    assert found == {
        ("wunderroot-bcp", "test", -7): {people.HUNTON: (sending, "sending", 1), people.BAKER: (failed, "failed", 1),
                                         "U0OLDDATE1": None, "U0OTHERST1": None},
        ("another", "test", -7): dict.fromkeys(everyone),
        ("wunderroot-bcp", "review", -7): {people.HUNTON: None},
    }
    with uow() as u:
        assert u.reminders.unfinished([]) == {}


def test_the_reminded_watermark_follows_the_due_date(uow):
    sync(uow, {"a": (date(2027, 11, 15), DUE)})
    with uow() as u:
        u.governance.reminded([("a", Kind.TEST, DUE, -7),
                               ("a", Kind.REVIEW, date(2027, 1, 1), 0)])  # not the current date: ignored
        u.commit()
        [row] = u.governance.due_by(date(2028, 1, 1))
    assert row.of(Kind.TEST) == (DUE, None, DUE, -7) and row.of(Kind.REVIEW)[2:] == (None, None)


def test_mark_reviewed_and_snooze_only_apply_to_the_current_date(uow):
    sync(uow, {"a": (date(2027, 11, 15), DUE)})
    with uow() as u:
        first = u.governance.mark_reviewed("a", was_due=date(2027, 11, 15), next_review=date(2028, 11, 15),
                                           by=people.PARKS, at=NOW)
        second = u.governance.mark_reviewed("a", was_due=date(2027, 11, 15), next_review=date(2028, 11, 15),
                                            by=people.HUNTON, at=NOW)
        stale_snooze = u.governance.snooze("a", Kind.REVIEW, due=date(2027, 11, 15), until=NOW, now=NOW)
        u.commit()
        reviews = [(r.reviewed_by, r.was_due_on, r.next_review) for r in u.session.scalars(select(m.PlanReview))]
    assert (first, second, stale_snooze) == (True, False, False)
    assert reviews == [
        (people.PARKS, date(2027, 11, 15), date(2028, 11, 15))]


def test_tests_are_kept_and_the_latest_sets_the_next_date(uow):
    sync(uow, {"a": (date(2027, 11, 15), DUE)})
    tabletop = PlanTest("a", PlanTestType.TABLETOP, date(2027, 5, 1), people.PARKS, notes="Fire drill")
    older = PlanTest("a", PlanTestType.WALKTHROUGH, date(2027, 1, 1), people.HUNTON)
    with uow() as u:
        assert u.governance.record_test(tabletop, next_test=date(2028, 5, 1), now=NOW)
        assert u.governance.record_test(older, next_test=date(2028, 1, 1), now=NOW)
        u.commit()
        gov = u.governance.get("a")
        history = u.governance.tests("a")
    assert (gov.last_test_on, gov.last_test_type, gov.last_test_by, gov.next_test) == (
        date(2027, 5, 1), "tabletop", people.PARKS, date(2028, 5, 1))
    assert [t.test_type for t in history] == [PlanTestType.TABLETOP, PlanTestType.WALKTHROUGH]


def test_an_incident_brings_the_review_forward_but_never_back(uow):
    sync(uow, {"a": (date(2027, 11, 15), DUE), "b": (date(2027, 1, 1), DUE)})
    with uow() as u:
        assert u.governance.flag_review("a", today=date(2027, 5, 10), incident_id=3, now=NOW) == date(2027, 5, 10)
        assert u.governance.flag_review("b", today=date(2027, 5, 10), incident_id=3, now=NOW) == date(2027, 1, 1)
        assert u.governance.flag_review("gone", today=date(2027, 5, 10), incident_id=3, now=NOW) is None
        u.commit()
        assert u.governance.get("a").review_flagged_after_incident == 3


def test_unresolved_owners_are_reported_once(uow):
    sync(uow, {"a": (DUE, DUE)})
    with uow() as u:
        assert u.governance.set_unresolved("a", ["x@example.com"], NOW) == ["x@example.com"]
        assert u.governance.set_unresolved("a", ["x@example.com"], NOW) == []
        assert u.governance.set_unresolved("gone", ["x@example.com"], NOW) == []
        u.commit()
        assert u.governance.get("a").unresolved_owners == ("x@example.com",)


def test_only_one_replica_holds_the_sweep_lock(engine, uow):
    from storage.db import make_session_factory
    from storage.uow import uow_factory

    other = uow_factory(make_session_factory(engine))
    with uow() as a:
        assert a.governance.try_sweep_lock()
        with other() as b:
            # PostgreSQL: the advisory lock is taken; SQLite has no such lock (the claims do the work).
            assert b.governance.try_sweep_lock() is (engine.dialect.name != "postgresql")
    with other() as b:  # released when a's transaction ended
        assert b.governance.try_sweep_lock()


# Several bot processes -------------------------------------------------------------------------
def _start_together(configs: list[dict]) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.support.bot_process", json.dumps(c)], cwd=ROOT, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in configs]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:  # the starting gun: both start the same moment
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _check_each_reminder_sent_once(fake, database_url: str, plans: int) -> None:
    from storage.db import make_engine

    posts = fake.calls_to("chat.postMessage")
    keys = [c.params["metadata"]["event_payload"]["key"] for c in posts]
    assert len(keys) == len(set(keys)), "a reminder was sent twice"
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(m.ReminderClaim.plan_key, m.ReminderClaim.kind, m.ReminderClaim.due_on,
                                       m.ReminderClaim.stage, m.ReminderClaim.recipient, m.ReminderClaim.status,
                                       m.ReminderClaim.id)).all()
    finally:
        engine.dispose()
    # Each plan: review and test, each to both owners (one by Slack ID, one found by email).
    assert len(rows) == plans * 4 and all(r.status == "sent" for r in rows)
    assert sorted(keys) == sorted(f"reminder:{r.id}" for r in rows)
    per_person = Counter((r.plan_key, r.kind, r.recipient) for r in rows)
    assert set(per_person.values()) == {1}
    dms = Counter(c.params["channel"] for c in posts)
    assert dms == {"D" + people.PARKS[1:]: plans * 2, "D" + people.HUNTON[1:]: plans * 2}


def _bot_config(fake, database_url: str, plans: Path, **kw) -> dict:
    return {"token": fake.token, "slack_url": fake.url, "database_url": database_url, "plans": str(plans),
            "now": NOW.isoformat(), "hour": 9, **kw}


PLANS = 15


@pytest.fixture
def due_plans(tmp_path):
    # Test due in 4 days (the 7-day stage), review overdue by 10 days (the 7-days-overdue stage).
    return write_plans(tmp_path / "plans", PLANS, review=date(2027, 4, 30), test=DUE)


def test_two_bots_starting_at_once_on_a_fresh_sqlite_file_send_each_reminder_once(fake_slack, tmp_path, due_plans):
    fake_slack.latency = 0.003  # Slack takes a moment: the two processes overlap
    url = f"sqlite:///{tmp_path}/shared.db"
    results = _start_together([_bot_config(fake_slack, url, due_plans)] * 2)
    assert all(r["idle"] for r in results)
    assert sum(r["sent"] for r in results) == PLANS * 4
    _check_each_reminder_sent_once(fake_slack, url, PLANS)


@pytest.mark.postgres
@pytest.mark.parametrize("advisory_lock", [True, False], ids=["advisory-lock", "claims-only"])
def test_two_bots_starting_at_once_on_postgresql_send_each_reminder_once(fake_slack, due_plans, advisory_lock):
    fake_slack.latency = 0.003
    for url in postgres_schema_url():
        results = _start_together([_bot_config(fake_slack, url, due_plans, advisory_lock=advisory_lock)] * 2)
        assert sum(r["sent"] for r in results) == PLANS * 4
        _check_each_reminder_sent_once(fake_slack, url, PLANS)


def test_two_db_upgrades_at_once_on_a_fresh_sqlite_file(tmp_path):
    from storage.db import make_engine
    from storage.migrate import current_revision, head_revision

    url = f"sqlite:///{tmp_path}/fresh.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    env.pop("BCBOT_PLANS", None)
    script = "import sys; sys.stdin.readline(); from bot.tools.cli import main; sys.exit(main(['db', 'upgrade']))"
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(f"database at revision {head_revision()}" in out for out, _ in outs)
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


# Scale -----------------------------------------------------------------------------------------
class _NoSlack:
    def __init__(self):
        self.sent = 0

    def open_dm(self, user):
        return "D" + user[1:]

    def post(self, channel, **kw):
        self.sent += 1
        return "1.1"


def _bot_with_many_plans(db_url: str, count: int, *, review: date, test: date, prefix: str = "p"):
    from bot.bcbot import Bcbot
    from bot.domain.plan import load_plans
    from bot.usecases.ports import Directory, PlanCatalog
    from bot.worker.runner import Background
    from config.settings import load_settings
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.repositories.intents import IntentWriter
    from storage.uow import uow_factory

    [base] = load_plans(ROOT / "config" / "plans" / "wunderroot.yaml")
    owners = [base.owners[0], base.owners[0].model_copy(update={"slack": "U0OWNER002", "name": "Second Owner"})]
    plans = {f"{prefix}{i:05d}": base.model_copy(update={
        "id": f"{prefix}{i:05d}", "owners": owners,
        "review": base.review.model_copy(update={"next": review}),
        "testing": base.testing.model_copy(update={"next": test})}) for i in range(count)}
    engine = make_engine(db_url)
    upgrade(engine)
    settings = load_settings(_env_file=None, database_url=db_url, bcbot_reminder_hour=9)
    bot = Bcbot(settings=settings, plans=PlanCatalog(plans), uow=uow_factory(make_session_factory(engine)),
                slack=_NoSlack(), directory=Directory(lambda email: None), background=Background(1),
                healthy=lambda: True, record_intent=IntentWriter(engine), clock=lambda: NOW)
    return bot, engine


@pytest.mark.parametrize("case", ["nothing-due", "all-due-and-sent"])
def test_a_sweep_of_10000_plans_with_2_owners_sends_nothing_already_sent(tmp_path, case):
    # How long it takes is bench/scale.py's to say (figures, not a timed test); this is what it does.
    from bot.worker import reminders as governance

    due = NOW.date() if case == "all-due-and-sent" else NOW.date() + timedelta(days=200)
    bot, engine = _bot_with_many_plans(f"sqlite:///{tmp_path}/scale.db", 10_000, review=due, test=due)
    try:
        governance.sync_plans(bot)
        if case == "all-due-and-sent":
            with bot.uow() as u:  # as if an earlier sweep had sent them all
                u.reminders.cover([ReminderKey(p, kind, due, 0, owner) for p in bot.plans.plans
                                   for kind in (Kind.REVIEW, Kind.TEST) for owner in (people.PARKS, "U0OWNER002")], NOW)
                u.commit()
        first = governance.sweep(bot)  # the first sweep records what is done
        result = governance.sweep(bot)
    finally:
        bot.background.shutdown()
        engine.dispose()
    assert first.sent == result.sent == 0 and bot.slack.sent == 0
    assert result.due == (20_000 if case == "all-due-and-sent" else 0)


def _sent_but_not_recorded(engine, plans, due: date) -> None:
    """Every owner's review and test reminder of `due` went out (claims `sent`), but the sweep that
    sent them was cut off before recording each reminder as dealt with: the next sweep must check."""
    from sqlalchemy import insert

    with engine.begin() as conn:
        conn.execute(insert(m.ReminderClaim), [
            {"plan_key": plan, "kind": kind.value, "due_on": due, "stage": 0, "recipient": owner,
             "status": ClaimStatus.SENT.value, "attempts": 1, "claimed_at": NOW, "sent_at": NOW}
            for plan in plans for kind in (Kind.REVIEW, Kind.TEST) for owner in (people.PARKS, "U0OWNER002")])


def test_the_first_sweep_after_a_mass_send_runs_as_many_sql_statements_at_any_size(any_db_url):
    """10 plans or 1,200 (claims once read 500 plans at a time): the same statements, none sent."""
    from bot.worker import reminders as governance
    from storage.db import counting_statements

    counts = []
    for prefix, count in (("small", 10), ("large", 1_200)):
        bot, engine = _bot_with_many_plans(any_db_url, count, review=NOW.date(), test=NOW.date(), prefix=prefix)
        try:
            governance.sync_plans(bot)
            _sent_but_not_recorded(engine, bot.plans.plans, NOW.date())
            with counting_statements(engine) as first:
                result = governance.sweep(bot)
            with counting_statements(engine) as steady:  # the first recorded them all as dealt with
                again = governance.sweep(bot)
        finally:
            bot.background.shutdown()
            engine.dispose()
        assert (result.due, result.sent, again.due, again.sent, bot.slack.sent) == (2 * count, 0, 2 * count, 0, 0)
        assert len(steady) < len(first)
        counts.append((len(first), len(steady)))
    assert counts[0] == counts[1], counts


def test_bots_in_other_schemas_of_one_postgresql_database_do_not_take_each_others_sweep_turn():
    # Advisory locks are per database: keyed by the schema too, another deployment's (or a parallel test's)
    # sweep in another schema never makes this one skip.
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.uow import uow_factory
    from tests.support.postgres import postgres_schema_url

    schemas = [postgres_schema_url(), postgres_schema_url()]
    engines = [make_engine(next(schema)) for schema in schemas]
    try:
        for engine in engines:
            upgrade(engine)
        with uow_factory(make_session_factory(engines[0]))() as here, \
                uow_factory(make_session_factory(engines[1]))() as there:
            assert here.governance.try_sweep_lock() and there.governance.try_sweep_lock()
            with uow_factory(make_session_factory(engines[0]))() as rival:  # the same schema: one at a time
                assert not rival.governance.try_sweep_lock()
    finally:
        for engine in engines:
            engine.dispose()
        for schema in schemas:
            schema.close()
