"""A roll call within Slack's limits: the fake enforces chat.postMessage per channel and per workspace and
chat.update per minute with 429s; bcbot's DMs still go once each, the tally is edited at most once per 2 s,
a 429 pauses the method (no thread sleeps on it), and emails are resolved by one users.list sweep."""
from __future__ import annotations

import pytest

from bot.domain.errors import RateLimited
from bot.domain.rollcall import Answer
from bot.tools.fakeslack.ratelimits import Budget, RateLimits
from storage import models
from tests.e2e.helpers import activate, rows
from tests.e2e.test_rollcall import EVERYONE, STAFF, asked, click, incident_channel, roll_call_plan, tally_message
from tests.support import people
from tests.support.processes import wait_until


@pytest.fixture
def started(start_app, fake_slack, tmp_path):
    fake_slack.add_user(STAFF, "Olive Designer")
    running = start_app(bcbot_plans=roll_call_plan(tmp_path / "plans"))
    running.settle()
    return running


def test_the_fake_answers_429_with_retry_after_over_a_budget(fake_slack):
    limits = fake_slack.enforce_rate_limits(RateLimits(per_workspace={"chat.update": Budget(2, 60.0)}))
    assert limits.check("chat.update", "C1") is None and limits.check("chat.update", "C2") is None
    wait = limits.check("chat.update", "C3")
    assert wait is not None and 1 <= wait <= 60
    assert limits.check("chat.postMessage", "C1") is None  # another method's budget is its own


def test_every_dm_goes_once_through_rate_limits_and_the_tally_keeps_its_pace(started):
    running, fake = started, started.fake
    # Tight budgets, so the roll call meets them: two DMs a second in the workspace, one tally edit per 3 s.
    fake.enforce_rate_limits(RateLimits(per_channel={"chat.postMessage": Budget(1, 1.0)},
                                        per_workspace={"chat.postMessage": Budget(2, 1.0),
                                                       "chat.update": Budget(1, 3.0)}))
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: all(asked(running, u) for u in EVERYONE), 30), "not everyone was asked"
    assert fake.rate_limits.refused > 0, "the test did not meet the limits"
    for user in EVERYONE:
        assert len([m for m in fake.messages["D" + user[1:]] if "are you safe?" in m["text"]]) == 1, user
    for user in EVERYONE[:4]:
        click(running, user, Answer.SAFE)
    channel = incident_channel(running)
    assert wait_until(lambda: "4 safe" in (tally_message(running, channel) or {}).get("text", ""), 30), \
        (tally_message(running, channel) or {}).get("text")
    edits = sorted(c.at for c in fake.calls_to("chat.update") if c.params.get("channel") == channel)
    assert all(b - a >= 1.9 for a, b in zip(edits, edits[1:])), edits
    # Every task finished; nothing was given up or held on a 429.
    assert wait_until(lambda: all(t.done_at or t.not_before for t in rows(running, models.OutboxTask)), 10)
    assert not [t for t in rows(running, models.OutboxTask) if t.held]


def test_a_429_pauses_the_method_for_every_thread_and_nobody_sleeps(running):
    running.fake.fail("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(RateLimited) as first:
        running.bot.slack.paced_post(people.PARKS, "k1", text="hello")
    assert 6 <= first.value.seconds <= 7
    calls = len(running.fake.calls)
    with pytest.raises(RateLimited):  # paused: not even sent
        running.bot.slack.paced_post(people.BAKER, "k2", text="hello")
    assert len(running.fake.calls) == calls
    assert running.bot.slack.paused_for("chat.update") == 0  # another method is not paused


def test_emails_are_resolved_by_one_users_list_sweep_and_stored(running):
    from bot.worker import plan_people

    assert wait_until(lambda: rows(running, models.SlackPerson), 10)
    [stored] = rows(running, models.SlackPerson)
    assert stored.email == people.HUNTON_EMAIL and stored.user_id == people.HUNTON
    sweeps = len(running.fake.calls_to("users.list"))
    assert plan_people.resolve(running.bot) is False  # on record and fresh: no sweep
    assert len(running.fake.calls_to("users.list")) == sweeps
    lookups = len(running.fake.calls_to("users.lookupByEmail"))
    activate(running, people.PARKS, roll_call="yes")
    assert wait_until(lambda: asked_hunton(running), 10)
    assert len(running.fake.calls_to("users.lookupByEmail")) == lookups  # never per incident


def asked_hunton(running) -> bool:
    return any("are you safe?" in m.get("text", "") for m in running.fake.messages.get("D" + people.HUNTON[1:], []))
