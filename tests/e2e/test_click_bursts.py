"""A burst of checklist clicks while Slack is slow: one render at a time per incident, the others
folded into it, so the clicks neither flood Slack nor tie up the workers other people's work needs."""
from __future__ import annotations

import time

from storage import models
from tests.e2e.helpers import activate, button, rows, steps_of
from tests.support import people


def _burst(running, clicks: int) -> None:
    [incident] = rows(running, models.Incident)
    checklist = running.fake.messages[incident.channel_id][1]
    values = [button(actions, "bcbot.step.done")["value"] for _, actions in steps_of(checklist)]
    for n in range(clicks):
        action = "bcbot.step.done" if n < len(values) else "bcbot.step.reopen"
        reply = running.slack.block_action(people.BAKER, action, values[n % len(values)],
                                           channel=incident.channel_id, message_ts=checklist["ts"])
        assert reply.status == 200


def test_a_burst_of_clicks_is_rendered_a_few_times_and_ends_up_right(running):
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    before = len(running.fake.calls_to("chat.update"))
    running.fake.answer_late("chat.update", 0.3)
    _burst(running, 7)  # every step of the first phase done
    running.settle(30)
    updates = len(running.fake.calls_to("chat.update")) - before
    assert updates <= 8, updates  # one render per click would be 14 updates (checklist + header each)
    checklist = running.fake.messages[incident.channel_id][1]
    assert "7/7 done" in checklist["blocks"][0]["text"]["text"]  # the last render saw every click
    assert all(text.startswith("✅") for text, _ in steps_of(checklist))
    assert len([e for e in rows(running, models.IncidentLogEntry) if e.kind == "step_done"]) == 7


def test_a_modal_opens_in_time_after_a_burst_of_clicks_on_a_slow_slack(running):
    activate(running, people.PARKS)
    running.fake.answer_late("chat.update", 1.0)
    _burst(running, 12)  # more clicks than background workers
    sent = time.time()
    assert running.slack.command(people.HUNTON, "").status == 200
    deadline = time.time() + 10
    while time.time() < deadline and not running.fake.calls_to("views.open")[1:]:
        time.sleep(0.05)
    [_, opened] = running.fake.calls_to("views.open")  # the activation's, then this one
    assert opened.started - sent < 1.5  # well inside the trigger ID's 3 seconds
    running.settle(60)
