"""`bcbot roles send`: run as a command, it owes the cards on the bot's database (the running bot sends them),
says who cannot be reached, sends nobody a card twice, and names the database problem instead of making one."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.domain.plan import load_plans
from config import BUNDLED_PLANS
from storage import models
from storage.db import make_engine, make_session_factory
from storage.uow import uow_factory
from tests.tools.test_cli import bcbot


def test_roles_send_owes_a_card_each_once_and_names_who_slack_has_not_resolved(tmp_path):
    url = f"sqlite:///{tmp_path}/bcbot.db"
    env = {"DATABASE_URL": url, "BCBOT_PLANS": str(BUNDLED_PLANS)}
    assert bcbot("db", "upgrade", env=env).returncode == 0
    nothing = bcbot("roles", "send", env=env)
    assert nothing.returncode == 1 and "has not served any plan" in nothing.stdout
    engine = make_engine(url)
    [plan] = load_plans(BUNDLED_PLANS)
    now = datetime.now(timezone.utc)
    with uow_factory(make_session_factory(engine))() as uow:  # what the bot does when it serves the plan
        uow.plans.serve(plan.id, uow.plans.version_id(plan, source="plan.yaml", now=now), file="plan.yaml", now=now)
        uow.commit()

    first = bcbot("roles", "send", env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == f"{plan.id} — {plan.title}: 3 people"
    assert lines[1] == "  cards to send: 2 (the running bot DMs them, paced): Steve Parks, Joe Baker"
    assert "not in Slack (named by an email the bot has not resolved; no card): Steve Hunton" in first.stdout
    again = bcbot("roles", "send", plan.id, env=env)
    assert "cards to send: 0" in again.stdout and "2 already have the card of their part" in again.stdout
    with engine.connect() as conn:
        tasks = conn.execute(select(models.OutboxTask.subject, models.OutboxTask.name)).all()
    engine.dispose()
    assert sorted(tasks) == [(f"parts:{plan.id}", "card:U0JBAKER01:1"), (f"parts:{plan.id}", "card:U0SPARKS01:1")]
    wrong = bcbot("roles", "send", "no-such-plan", env=env)
    assert wrong.returncode == 1 and f"the plans are: {plan.id}" in wrong.stdout


def test_roles_send_names_a_missing_database_and_makes_none(tmp_path):
    result = bcbot("roles", "send", env={"DATABASE_URL": f"sqlite:///{tmp_path}/none.db"})
    assert result.returncode == 1 and "no bcbot database at" in result.stderr
    assert not (tmp_path / "none.db").exists()
