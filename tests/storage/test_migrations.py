"""Migrations: empty -> head on SQLite and PostgreSQL, and the models match them."""
from __future__ import annotations

from sqlalchemy import inspect, text

from storage.migrate import check, current_revision, head_revision


def test_upgrade_from_empty_to_head_and_models_match(engine):
    assert current_revision(engine) == head_revision()
    check(engine)  # raises if autogenerate would find any difference
    tables = set(inspect(engine).get_table_names())
    assert {"plan_versions", "incidents", "checklist_steps", "incident_log", "activation_requests", "outbox"} <= tables


def test_upgrade_twice_is_a_no_op(engine):
    from storage.migrate import upgrade

    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_sqlite_has_foreign_keys_and_wal(tmp_path):
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_downgrade_and_upgrade_keep_the_data(engine, uow):
    """Batch mode rebuilds tables; with data in them the foreign keys must survive that on SQLite."""
    from storage.migrate import downgrade, upgrade
    from tests.storage.test_repositories import new_incident

    incident_id = new_incident(uow)
    downgrade(engine, "0001")
    upgrade(engine)
    with uow() as u:
        assert u.incidents.get(incident_id).circumstance == "Loss of critical systems"
        assert len(u.incidents.steps(incident_id)) > 0


def test_an_old_database_numbers_its_next_decision_after_the_ones_it_has(engine, uow):
    """0005 starts each incident's decision counter at its highest decision number."""
    from storage.migrate import downgrade, upgrade
    from tests.storage.test_repositories import NOW, new_incident

    incident_id = new_incident(uow)
    downgrade(engine, "0004")
    with engine.begin() as conn:
        for number in (1, 2):
            conn.execute(text("INSERT INTO decisions (incident_id, number, decision, decided_by, logged_by, at) "
                              "VALUES (:i, :n, 'old', 'U0A', 'U0A', :at)"), {"i": incident_id, "n": number, "at": NOW})
    upgrade(engine)
    with uow() as u:
        decision = u.decisions.add(incident_id=incident_id, decision="new", rationale=None, options=None,
                                   decided_by="U0A", logged_by="U0A", corrects=None, source_link=None, now=NOW)
        u.commit()
    assert decision.number == 3
