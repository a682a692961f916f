"""A roll call's DMs go once each across a SIGKILL of the worker mid fan-out (SQLite) and with two `bcbot serve`
replicas on one PostgreSQL database: real processes, the fake Slack on loopback."""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from bot.tools.fakeslack import FakeSlack, SlackSender
from tests.support import people
from tests.support.plans import write_plan
from tests.support.postgres import postgres_schema_url
from tests.support.secrets import BOT_TOKEN, SIGNING_SECRET
from tests.support.serve_process import BotProcess, wait_for
from tests.support.slack_requests import filled_view

STAFF = [f"U0RC{n:06d}" for n in range(20)]
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


def asked(fake, user: str) -> int:
    return sum(1 for m in fake.messages.get("D" + user[1:], []) if "are you safe?" in m.get("text", ""))


def told_steps(fake, user: str) -> int:
    return sum(1 for m in fake.messages.get("D" + user[1:], []) if "your steps" in m.get("text", ""))


STEP_OWNERS = [people.PARKS, people.HUNTON, people.BAKER, people.LEAD]  # the first phase's role holders and lead


def activate(fake, sender: SlackSender) -> None:
    before = len(fake.calls_to("views.open"))
    assert sender.command(people.PARKS, "").status == 200
    wait_for(lambda: len(fake.calls_to("views.open")) > before, what="the activation form")
    view = list(fake.views.values())[-1]
    filled = filled_view(view, circumstance="Loss of critical systems", summary="The file server died",
                         lead=people.LEAD, roll_call="yes")
    assert sender.view_submission(people.PARKS, filled).status == 200


def test_a_worker_killed_mid_fan_out_leaves_nobody_asked_twice(fake, plans, tmp_path):
    bot = BotProcess(fake, f"sqlite:///{tmp_path}/bcbot.db", tmp_path / "bot.log", env={"BCBOT_PLANS": str(plans)})
    try:
        fake.answer_late("chat.postMessage", 1.0)  # posted at once, answered late: a kill loses the answers
        activate(fake, SlackSender(bot.url, SIGNING_SECRET, fake.response_url))
        wait_for(lambda: sum(asked(fake, u) for u in EVERYONE) >= 3, what="the fan-out under way")
        worker = bot.worker_pid()
        os.kill(worker, signal.SIGKILL)
        fake.answer_late("chat.postMessage", 0)
        wait_for(lambda: bot.worker_replaced(worker), what="a new worker")
        wait_for(lambda: all(asked(fake, u) for u in EVERYONE), timeout=40, what="everyone asked")
        # Give a duplicate every chance to show: leases (1 s) and sweeps (2 s) run out several times.
        time.sleep(5)
        assert Counter(asked(fake, u) for u in EVERYONE) == Counter({1: len(EVERYONE)}), \
            {u: asked(fake, u) for u in EVERYONE if asked(fake, u) != 1}
        # Each step owner's DM of their steps, once too.
        assert {u: told_steps(fake, u) for u in STEP_OWNERS} == dict.fromkeys(STEP_OWNERS, 1)
    finally:
        bot.stop()


@pytest.fixture
def pg_url():
    yield from postgres_schema_url()


def test_two_replicas_ask_each_person_once(fake, plans, pg_url, tmp_path):
    bots = [BotProcess(fake, pg_url, tmp_path / f"replica-{n}.log", env={"BCBOT_PLANS": str(plans)}) for n in (0, 1)]
    try:
        senders = [SlackSender(b.url, SIGNING_SECRET, fake.response_url) for b in bots]
        senders[1]._trigger = 1_000_000
        activate(fake, senders[0])
        wait_for(lambda: all(asked(fake, u) for u in EVERYONE), timeout=40, what="everyone asked")
        # Clicks alternate between the replicas: the tally ends with everyone's answer.
        for n, user in enumerate(EVERYONE):
            message = next(m for m in fake.messages["D" + user[1:]] if "are you safe?" in m.get("text", ""))
            button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                          if e["action_id"].endswith(".safe"))
            assert senders[n % 2].block_action(user, button["action_id"], button["value"],
                                               channel="D" + user[1:]).status == 200

        def tallies() -> list[dict]:
            return [m for channel, msgs in list(fake.messages.items()) if channel.startswith("C") for m in msgs
                    if m.get("text", "").startswith("Roll call")]

        def tally() -> str:
            return next((m["text"] for m in tallies()), "")

        wait_for(lambda: f"{len(EVERYONE)} safe" in tally(), timeout=30, what="the tally to show every answer")
        time.sleep(3)  # leases and sweeps run out: a duplicate would show by now
        assert Counter(asked(fake, u) for u in EVERYONE) == Counter({1: len(EVERYONE)})
        assert {u: told_steps(fake, u) for u in STEP_OWNERS} == dict.fromkeys(STEP_OWNERS, 1)
        assert len(tallies()) == 1  # one message, edited in place by whichever replica rendered
    finally:
        for bot in bots:
            bot.stop()
