"""An incident's Slack set-up: a slow call holds up only the tasks that need its result."""
from __future__ import annotations

from storage import models
from tests.e2e.helpers import activate, open_modal, outbox_tasks, rows, submit
from tests.support import people


def _key(call) -> str:
    return ((call.params.get("metadata") or {}).get("event_payload") or {}).get("key", "")


def test_a_slow_invite_does_not_hold_up_the_header_checklist_and_pin(running):
    running.fake.answer_late("conversations.invite", 1.5)
    activate(running, people.PARKS)

    [invite] = running.fake.calls_to("conversations.invite")
    posts = {_key(c).split(":")[1]: c for c in running.fake.calls_to("chat.postMessage") if _key(c)}
    [pin] = running.fake.calls_to("pins.add")
    # The pin and the checklist wait for the header only, not for the invite still being answered.
    for call in (posts["header"], posts["checklist"], pin):
        assert call.at < invite.at + 1.0, call.method
    assert posts["checklist"].started >= posts["header"].at  # the checklist still follows the header
    assert all(t.done_at is not None for t in outbox_tasks(running))


def test_set_up_waits_for_the_channel_and_stops_when_it_cannot_be_made(running):
    running.fake.fail("conversations.create", error="restricted_action", times=20)
    reply = submit(running, people.PARKS, open_modal(running, people.PARKS))
    assert reply.status == 200
    # Nothing that needs the channel was tried (a DM telling the person what failed may go out).
    assert [_key(c) for c in running.fake.calls_to("chat.postMessage") if _key(c)] == ["BC-1:channel_refused"]
    assert running.fake.calls_to("conversations.invite") == [] and running.fake.calls_to("pins.add") == []
    pending = {t.name for t in outbox_tasks(running) if t.done_at is None}
    assert {"create_channel", "post_header", "post_checklist", "notify_people"} <= pending
