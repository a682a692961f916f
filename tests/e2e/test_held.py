"""Slack refusing for good (an archived, bot-removed or deleted incident channel) is told at once, with the
fix, and never retried; held effects go out once when the channel is back. A Slack outage of many hours
gives nothing up, and what waited goes out once, in order."""
from __future__ import annotations

from collections import Counter

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from storage import models
from tests.e2e.helpers import activate, button, channel_messages, outbox_tasks, rows, steps_of, take_over
from tests.support import people
from tests.support.clock import FakeClock

WRITES = ("chat.postMessage", "chat.update", "conversations.setTopic", "pins.add", "files.completeUploadExternal")


def header_value(running, row, action_id: str) -> str:
    header = next(m for m in channel_messages(running, row.channel_id) if m["ts"] == row.header_ts)
    actions = next(b for b in header["blocks"] if b["type"] == "actions")
    return button(actions, action_id)["value"]


def last_view(running, callback_id: str) -> dict:
    return [v for v in running.fake.views.values() if v.get("callback_id") == callback_id][-1]


def submit(running, user: str, view: dict, values: dict) -> None:
    state = {k: {"value": v} for k, v in values.items()}
    reply = running.slack.view_submission(user, {**view, "state": {"values": state}})
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body


def modal_action(running, row, user, action_id, callback_id, values, value) -> None:
    running.slack.block_action(user, action_id, value, channel=row.channel_id)
    running.settle()
    submit(running, user, last_view(running, callback_id), values)


def decision(running, row, user, buttons):
    modal_action(running, row, user, "bcbot.incident.decision", "bcbot.decision",
                 {"decision": {"value": "Move to the backup office"}}, buttons["decision"])


def update(running, row, user, buttons):
    modal_action(running, row, user, "bcbot.incident.update", "bcbot.status_update",
                 {"situation": {"value": "Servers restored from backup"}, "actions": {"value": "Testing"},
                  "next_update": {"selected_option": {"value": "30"}}}, buttons["update"])


def step_click(running, row, user, buttons):
    running.slack.block_action(user, "bcbot.step.done", buttons["step"], channel=row.channel_id)


def phase_change(running, row, user, buttons):
    running.slack.block_action(user, "bcbot.incident.advance", buttons["advance"], channel=row.channel_id)


def stand_down(running, row, user, buttons):
    running.slack.block_action(user, "bcbot.incident.stand_down", buttons["stand_down"], channel=row.channel_id)
    running.settle()
    submit(running, user, last_view(running, "bcbot.stand_down"), {"text": {"value": "Power back, all clear"}})


def shown(running, row, needle: str) -> int:
    return sum(needle in str(m.get("blocks")) + m.get("text", "") for m in channel_messages(running, row.channel_id))


# What each action shows in the channel once Slack takes it.
ACTIONS = {
    "decision": (decision, lambda r, row: shown(r, row, "Move to the backup office")),
    "update": (update, lambda r, row: shown(r, row, "Servers restored from backup")),
    "step click": (step_click, lambda r, row: sum(steps_of(m)[0][0].startswith("✅")
                                                  for m in channel_messages(r, row.channel_id)
                                                  if "bcbot.step" in str(m.get("blocks")))),
    "phase change": (phase_change, lambda r, row: shown(r, row, "to *Business continuity*")),
    "stand-down": (stand_down, lambda r, row: shown(r, row, "Power back, all clear") and 1),
}
STATES = {
    "archived": (lambda fake, c: fake.archive(c), "Unarchive"),
    "bot removed": (lambda fake, c: fake.remove_bot(c), "/invite @bcbot"),
    "deleted": (lambda fake, c: fake.delete_channel(c), "was deleted"),
}


def dms(running, user: str) -> list[str]:
    return [m["text"] for m in running.fake.messages.get("D" + user[1:], [])]


def refused_calls(running, channel: str) -> int:
    return sum(1 for c in running.fake.calls if c.error and c.method in WRITES
               and channel in (c.params.get("channel"), c.params.get("channel_id")))


def posted_keys(fake) -> Counter:
    return Counter((m.get("metadata") or {}).get("event_payload", {}).get("key")
                   for msgs in fake.messages.values() for m in msgs if m.get("metadata"))


@pytest.fixture
def incident(running):
    activate(running, people.PARKS, lead=people.LEAD)
    [row] = rows(running, models.Incident)
    checklist = next(m for m in channel_messages(running, row.channel_id) if "bcbot.step" in str(m.get("blocks")))
    buttons = {"step": button(steps_of(checklist)[0][1], "bcbot.step.done")["value"],
               "advance": header_value(running, row, "bcbot.incident.advance"),
               **{name: header_value(running, row, f"bcbot.incident.{name}")
                  for name in ("stand_down", "decision", "update")}}
    return running, row, buttons


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_a_channel_slack_refuses_is_told_with_the_fix_at_once_and_never_retried(incident, action, state):
    running, row, buttons = incident
    act, effect = ACTIONS[action]
    change, fix = STATES[state]
    change(running.fake, row.channel_id)

    act(running, row, people.BAKER, buttons)
    running.settle()
    told = [t for t in dms(running, people.BAKER) if "recorded, but Slack would not show it" in t]
    assert len(told) == 1 and fix in told[0], dms(running, people.BAKER)
    lead = [t for t in dms(running, people.LEAD) if "Slack is refusing bcbot's posts" in t]
    assert len(lead) == 1 and fix in lead[0], dms(running, people.LEAD)

    refused = refused_calls(running, row.channel_id)
    assert refused >= 1
    take_over(running)  # the sweep, every retry pause over: a refusal for good is not tried again
    take_over(running)
    assert refused_calls(running, row.channel_id) == refused
    assert len([t for t in dms(running, people.BAKER) if "recorded, but" in t]) == 1  # told once

    if state == "deleted":
        return
    assert effect(running, row) == 0
    if state == "archived":
        running.fake.archive(row.channel_id, False)
        event = {"type": "channel_unarchive", "channel": row.channel_id, "user": people.LEAD}
    else:
        running.fake.channels[row.channel_id].members.add(running.fake.bot_user_id)
        event = {"type": "member_joined_channel", "channel": row.channel_id, "user": running.fake.bot_user_id,
                 "inviter": people.LEAD}
    assert running.slack.event(event, event_id="Ev0BACK").status == 200
    running.settle()
    assert effect(running, row) == 1
    assert all(n == 1 for n in posted_keys(running.fake).values()), posted_keys(running.fake)
    assert all(t.done_at for t in outbox_tasks(running)), [(t.name, t.held) for t in outbox_tasks(running)
                                                          if not t.done_at]


def test_someone_else_joining_releases_nothing_and_the_periodic_look_finds_the_channel_back(incident):
    from bot.worker.jobs import look_at_held_channels

    running, row, buttons = incident
    running.fake.archive(row.channel_id)
    step_click(running, row, people.BAKER, buttons)
    running.settle()
    running.slack.event({"type": "member_joined_channel", "channel": row.channel_id, "user": people.OUTSIDER},
                        event_id="Ev0JOIN")
    running.settle()
    assert ACTIONS["step click"][1](running, row) == 0
    assert look_at_held_channels(running.bot) == 0  # still archived
    running.fake.archive(row.channel_id, False)  # the event was missed
    assert look_at_held_channels(running.bot) == 1
    running.settle()
    assert ACTIONS["step click"][1](running, row) == 1


def test_a_deactivated_person_is_given_up_on_at_once_and_doctor_lists_it(incident, make_settings):
    from bot.tools.doctor import run_checks

    running, row, buttons = incident
    running.fake.fail("chat.postMessage", error="invalid_blocks")
    decision(running, row, people.BAKER, buttons)
    running.settle()
    assert any("Slack refused it for good (`invalid_blocks`)" in t for t in dms(running, people.BAKER))
    calls = len([c for c in running.fake.calls if c.method == "chat.postMessage"])
    take_over(running)
    assert len([c for c in running.fake.calls if c.method == "chat.postMessage"]) == calls
    lines = [c.line() for c in run_checks(make_settings()) if c.name == "database"]
    assert any("1 Slack effect(s) held" in line and "invalid_blocks" in line for line in lines), lines


OUTAGES = {  # how Slack is away: answering 503, refusing connections, or taking requests and never answering
    "503": lambda fake, on: setattr(fake, "down", 503 if on else None),
    "refused": lambda fake, on: fake.unreachable("refused" if on else None),
    "not answering": lambda fake, on: fake.unreachable("silent" if on else None),
}


@pytest.mark.parametrize("outage", OUTAGES)
def test_a_twelve_hour_outage_gives_nothing_up_and_then_everything_goes_out_once_in_order(start_app, outage):
    import json
    import urllib.request

    clock = FakeClock()
    running = start_app(clock=clock)
    running.bot.effects.clock = clock  # retry pauses follow the test's clock
    running.bot.effects.inline_pauses = ()
    for client in (running.bot.slack.client, running.bot.slack.once_client, running.bot.slack.paced_client):
        client.timeout = 0.25  # a Slack that never answers costs a quarter second a call, not 15 (loopback)
        for handler in client.retry_handlers:
            handler.interval_calculator = FixedValueRetryIntervalCalculator(0)
    activate(running, people.PARKS, lead=people.LEAD)
    [row] = rows(running, models.Incident)
    advance = header_value(running, row, "bcbot.incident.advance")

    OUTAGES[outage](running.fake, True)
    started = clock()
    running.slack.command(people.BAKER, "decision Close the office", channel=row.channel_id)
    running.settle()
    phase_change(running, row, people.BAKER, {"advance": advance})
    running.settle()
    running.slack.command(people.BAKER, "decision Staff work from home", channel=row.channel_id)
    running.settle()
    for _ in range(24):  # every half hour for 12 hours, the sweep finds Slack still away
        clock.advance(minutes=30)
        take_over(running, pauses_over=False)
    pending = [t for t in outbox_tasks(running) if not t.done_at]
    assert pending and not [t for t in pending if t.held], [(t.name, t.held) for t in pending]
    assert max(t.attempts for t in pending) > 20  # more tries than the old limit: nothing given up
    health = json.loads(urllib.request.urlopen(running.url + "/healthz", timeout=5).read())
    assert health["outbox"]["waiting"] == len(pending) and health["outbox"]["held"] == 0
    assert health["outbox"]["since"] <= (started + (clock() - started) / 2).isoformat()

    OUTAGES[outage](running.fake, False)
    clock.advance(minutes=6)
    take_over(running, pauses_over=False)
    assert all(t.done_at for t in outbox_tasks(running)), [t.name for t in outbox_tasks(running) if not t.done_at]
    assert all(n == 1 for n in posted_keys(running.fake).values()), posted_keys(running.fake)
    texts = [str(m.get("blocks")) + m.get("text", "") for m in channel_messages(running, row.channel_id)]
    order = [next(i for i, t in enumerate(texts) if needle in t)
             for needle in ("Close the office", "to *Business continuity*", "Staff work from home")]
    assert order == sorted(order), order
