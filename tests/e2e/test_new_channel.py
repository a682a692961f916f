"""Create a new channel: an incident whose channel was deleted carries on in a new one, set up again, with
what was held for the old channel posted there once; a second click (or a replay, or a crash) makes no
second channel."""
from __future__ import annotations

import json
import os
import signal

from bot.domain.report import build_report, render_markdown
from bot.slack.ids import Action
from storage import models
from tests.e2e.helpers import activate, button, channel_messages, outbox_tasks, rows, steps_of
from tests.e2e.test_crash_matrix import World, holds  # noqa: F401 (holds: a fixture)
from tests.e2e.test_crash_matrix import activate as activate_served
from tests.e2e.test_held import decision, dms, header_value, phase_change, posted_keys, step_click
from tests.support import people
from tests.support.processes import wait_until


def offer(fake, user: str) -> str | None:
    """The value of the Create a new channel button in `user`'s DMs, if one was offered."""
    for message in fake.messages.get("D" + user[1:], []):
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == Action.NEW_CHANNEL.value:
                    return element["value"]
    return None


def answers(running, user: str) -> list[str]:
    return [r.get("text", "") for r in running.fake.responses if r["_path"].endswith(f"act-{user}")]


def created(running) -> int:
    return len(running.fake.calls_to("conversations.create"))


def test_a_deleted_channel_is_replaced_by_a_new_one_set_up_again_with_what_was_held(running, make_settings):
    from bot.tools.doctor import run_checks

    activate(running, people.PARKS, lead=people.LEAD)
    [old] = rows(running, models.Incident)
    checklist = next(m for m in channel_messages(running, old.channel_id) if "bcbot.step" in str(m.get("blocks")))
    buttons = {"step": button(steps_of(checklist)[0][1], "bcbot.step.done")["value"],
               "advance": header_value(running, old, "bcbot.incident.advance"),
               "decision": header_value(running, old, "bcbot.incident.decision")}
    running.fake.delete_channel(old.channel_id)
    decision(running, old, people.BAKER, buttons)
    running.settle()
    step_click(running, old, people.BAKER, buttons)
    running.settle()
    phase_change(running, old, people.BAKER, buttons)
    running.settle()
    assert any("can create a new channel" in t for t in dms(running, people.BAKER))
    value = offer(running.fake, people.LEAD)
    assert value and json.loads(value)["c"] == old.channel_id, dms(running, people.LEAD)
    assert offer(running.fake, people.BAKER) is None  # the lead's DM offers it
    before = created(running)
    held = [c for c in run_checks(make_settings()) if c.name == "database" and "held" in c.line()]
    assert any(f"for BC-1: channel {old.channel_id} deleted" in c.line() and "Create a new channel" in c.line()
               for c in held), [c.line() for c in held]

    running.slack.block_action(people.OUTSIDER, Action.NEW_CHANNEL.value, value, channel="D" + people.LEAD[1:])
    running.settle()
    assert any("Only the incident lead" in t for t in answers(running, people.OUTSIDER)), running.fake.responses
    assert created(running) == before

    click = running.slack.block_action(people.LEAD, Action.NEW_CHANNEL.value, value, action_ts="1700000000.1",
                                       channel="D" + people.LEAD[1:])
    assert click.status == 200
    running.settle()
    [row] = rows(running, models.Incident)
    assert row.channel_id and row.channel_id != old.channel_id and created(running) == before + 1
    channel = running.fake.channels[row.channel_id]
    assert {people.LEAD, people.BAKER, people.PARKS} <= channel.members
    assert "BC-1" in (channel.topic or "") and "Business continuity" in channel.topic
    assert (row.channel_id, row.header_ts) in running.fake.pins
    texts = [str(m.get("blocks")) + m.get("text", "") for m in channel_messages(running, row.channel_id)]
    order = [next(i for i, t in enumerate(texts) if needle in t) for needle in (
        "bcbot.incident.advance", "*Incident management checklist*", "*Business continuity checklist*", "Move to the backup office",
        "to *Business continuity*")]
    assert order == sorted(order), texts
    first = next(m for m in channel_messages(running, row.channel_id) if "bcbot.step" in str(m.get("blocks")))
    assert steps_of(first)[0][0].startswith("✅")  # the checklist as it stands, the held click included
    assert all(n == 1 for n in posted_keys(running.fake).values()), posted_keys(running.fake)
    announced = channel_messages(running, people.ANNOUNCE)[-1]
    assert f"<#{row.channel_id}>" in announced["text"]
    assert any(f"carries on in <#{row.channel_id}>" in t for t in dms(running, people.LEAD))
    assert not [c for c in run_checks(make_settings()) if c.name == "database" and "held" in c.line()]
    assert all(t.done_at and not t.held for t in outbox_tasks(running)), [
        (t.name, t.held, t.last_error) for t in outbox_tasks(running) if not t.done_at or t.held]

    # A second click, and the same click delivered again: nothing more is made.
    running.slack.block_action(people.LEAD, Action.NEW_CHANNEL.value, value, action_ts="1700000000.1",
                               channel="D" + people.LEAD[1:])
    running.slack.block_action(people.LEAD, Action.NEW_CHANNEL.value, value, channel="D" + people.LEAD[1:])
    running.settle()
    assert created(running) == before + 1
    assert any("has a new channel already" in t for t in answers(running, people.LEAD)), running.fake.responses
    assert len([i for i in rows(running, models.Intent) if i.kind == "new_channel" and i.status == "done"]) == 1

    report = render_markdown(build_report(running.bot.uow, "BC-1", tz=running.bot.settings.timezone))
    assert "New channel asked for" in report and report.count("Channel #") >= 2


def test_a_worker_killed_while_the_new_channel_is_made_makes_one(fake_slack, tmp_path, holds):
    world = World(fake_slack, f"sqlite:///{tmp_path}/new.db", tmp_path, holds)
    try:
        world.start()
        activate_served(world)
        old = world.refresh()
        fake_slack.delete_channel(old.channel_id)
        assert world.slack.command(people.BAKER, "decision Close the office", channel=old.channel_id).status == 200
        assert wait_until(lambda: offer(fake_slack, people.LEAD), 20, 0.1), world.unfinished()
        before = len(fake_slack.calls_to("conversations.create"))
        # Slack makes the channel; its answer never reaches the worker, killed meanwhile.
        held = holds.hold("conversations.create", after_work=True)
        assert world.slack.block_action(people.LEAD, Action.NEW_CHANNEL.value, offer(fake_slack, people.LEAD),
                                        channel="D" + people.LEAD[1:]).status == 200
        held.wait()
        worker = world.bot.worker_pid()
        os.kill(worker, signal.SIGKILL)
        held.release()
        world.settled(30)
        incident = world.refresh()
        made = [c for c in fake_slack.channels.values() if c.creator == fake_slack.bot_user_id]
        assert [c.id for c in made] == [incident.channel_id], [(c.id, c.name) for c in made]
        assert len(fake_slack.calls_to("conversations.create")) == before + 1  # the retry found it, made none
        assert len(world.keyed("BC-1:post_decision:1")) == 1 and len(world.keyed("BC-1:header")) == 1
    finally:
        world.close()

