"""The cards of people's parts go once each across a SIGKILL of the worker mid fan-out (SQLite), and with two
`bcbot serve` replicas on one PostgreSQL database: real processes, the fake Slack on loopback, `bcbot roles send`
run beside them on the same database."""
from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import datetime, timezone

import pytest

from bot.tools.cli_roles import send_cards
from bot.tools.fakeslack import FakeSlack
from storage.db import make_engine, make_session_factory
from storage.uow import uow_factory
from tests.support import people
from tests.support.plans import write_plan
from tests.support.postgres import postgres_schema_url
from tests.support.secrets import BOT_TOKEN
from tests.support.serve_process import BotProcess, wait_for

STAFF = [f"U0KP{n:06d}" for n in range(20)]
EVERYONE = [people.PARKS, people.HUNTON, people.BAKER, *STAFF]


@pytest.fixture
def fake():
    fake = FakeSlack(token=BOT_TOKEN).start()
    people.populate(fake)
    for user in STAFF:
        fake.add_user(user, f"Staff {user[-2:]}")
    yield fake
    fake.stop()


@pytest.fixture
def plans(tmp_path):
    return write_plan(tmp_path / "plans", roll_call={"staff": [{"name": f"Staff {u[-2:]}", "slack": u} for u in STAFF]})


def cards(fake, user: str) -> int:
    return sum(1 for m in fake.messages.get("D" + user[1:], []) if m.get("text", "").startswith("Your part in"))


def roles_send(db_url: str) -> list[str]:
    """`bcbot roles send`, as a process beside the bot does it: on the database, owing outbox tasks."""
    engine = make_engine(db_url)
    said: list[str] = []
    try:
        assert send_cards(uow_factory(make_session_factory(engine)), None, now=datetime.now(timezone.utc),
                          out=said.append) == 0, said
    finally:
        engine.dispose()
    return said


def email_resolved(db_url: str) -> bool:
    from sqlalchemy import select

    from storage import models

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(models.SlackPerson.user_id).where(
                models.SlackPerson.email == people.HUNTON_EMAIL)) == people.HUNTON
    finally:
        engine.dispose()


def test_a_worker_killed_mid_fan_out_leaves_nobody_sent_a_card_twice(fake, plans, tmp_path):
    db_url = f"sqlite:///{tmp_path}/bcbot.db"
    bot = BotProcess(fake, db_url, tmp_path / "bot.log", env={"BCBOT_PLANS": str(plans)})
    try:
        wait_for(lambda: email_resolved(db_url), what="the plan's emails resolved by the bot")
        fake.answer_late("chat.postMessage", 1.0)  # posted at once, answered late: a kill loses the answers
        assert "cards to send: 23" in roles_send(db_url)[1]
        wait_for(lambda: sum(cards(fake, u) for u in EVERYONE) >= 3, timeout=30, what="the fan-out under way")
        worker = bot.worker_pid()
        os.kill(worker, signal.SIGKILL)
        fake.answer_late("chat.postMessage", 0)
        wait_for(lambda: bot.worker_replaced(worker), what="a new worker")
        wait_for(lambda: all(cards(fake, u) for u in EVERYONE), timeout=60, what="everyone sent their card")
        # Give a duplicate every chance to show: leases (1 s) and sweeps (2 s) run out several times.
        time.sleep(5)
        assert Counter(cards(fake, u) for u in EVERYONE) == Counter({1: len(EVERYONE)}), \
            {u: cards(fake, u) for u in EVERYONE if cards(fake, u) != 1}
    finally:
        bot.stop()


@pytest.fixture
def pg_url():
    yield from postgres_schema_url()


def test_two_replicas_send_each_person_one_card(fake, plans, pg_url, tmp_path):
    bots = [BotProcess(fake, pg_url, tmp_path / f"replica-{n}.log", env={"BCBOT_PLANS": str(plans)}) for n in (0, 1)]
    try:
        wait_for(lambda: email_resolved(pg_url), what="the plan's emails resolved by the bots")
        roles_send(pg_url)
        wait_for(lambda: all(cards(fake, u) for u in EVERYONE), timeout=60, what="everyone sent their card")
        time.sleep(3)  # leases and sweeps run out: a duplicate would show by now
        assert Counter(cards(fake, u) for u in EVERYONE) == Counter({1: len(EVERYONE)})
    finally:
        for bot in bots:
            bot.stop()
