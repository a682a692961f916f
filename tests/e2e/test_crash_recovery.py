"""SIGKILL between recording an activation and finishing its Slack work: the next start completes it,
and nothing is posted twice (the outbox, and message metadata to find posts whose reply was lost)."""
from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import create_engine, select

from bot.tools.fakeslack import SlackSender
from storage import models
from tests.conftest import SIGNING_SECRET
from tests.support import people
from tests.support.serve_process import BotProcess, wait_for
from tests.support.slack_requests import filled_view


def test_sigkill_mid_setup_is_completed_at_next_start_without_duplicates(fake_slack, tmp_path):
    db_url = f"sqlite:///{tmp_path}/crash.db"
    first = BotProcess(fake_slack, db_url, tmp_path / "bot.log")
    try:
        sender = SlackSender(first.url, SIGNING_SECRET, fake_slack.response_url)
        assert sender.command(people.PARKS, "").status == 200
        wait_for(lambda: fake_slack.views, what="the modal")
        view = next(iter(fake_slack.views.values()))
        # Slack does the header post but its reply never reaches the bot: the bot dies waiting.
        fake_slack.answer_late("chat.postMessage", 60)
        filled = filled_view(view, circumstance="Loss of critical systems", summary="Disk failure", lead=people.PARKS,
                             services=[])
        assert sender.view_submission(people.PARKS, filled).status == 200
        wait_for(lambda: any((c.params.get("metadata") or {}).get("event_payload", {}).get("key") == "BC-1:header"
                             for c in fake_slack.calls_to("chat.postMessage")), what="the header post")
    finally:
        first.kill()
    fake_slack.answer_late("chat.postMessage", 0)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        pending = conn.execute(select(models.OutboxTask.name).where(models.OutboxTask.done_at.is_(None))).scalars().all()
    assert "post_checklist" in pending  # the crash left the set-up unfinished

    time.sleep(1.2)  # the dead process's claims run out (BCBOT_LEASE_SECONDS=1)
    second = BotProcess(fake_slack, db_url, tmp_path / "bot.log")
    try:
        def finished():
            with engine.connect() as conn:
                return not conn.execute(select(models.OutboxTask).where(models.OutboxTask.done_at.is_(None))).first()

        wait_for(finished, what="the set-up to finish after the restart")
    finally:
        second.stop()
    with engine.connect() as conn:
        incident = conn.execute(select(models.Incident)).one()
        checklists = conn.execute(select(models.ChecklistMessage)).all()
    engine.dispose()
    # Every message by its metadata key, or (channel, text) when it has none: a doubled DM counts 2 too.
    keys = Counter((m.get("metadata") or {}).get("event_payload", {}).get("key") or (channel, m.get("text"))
                   for channel, msgs in fake_slack.messages.items() for m in msgs)
    assert keys["BC-1:header"] == 1 and keys["BC-1:checklist:incident_management:1"] == 1
    assert all(n == 1 for n in keys.values()), keys
    assert len(checklists) == 1 and (incident.channel_id, incident.header_ts) in fake_slack.pins
    assert len(fake_slack.calls_to("conversations.create")) == 1
