"""SIGKILL between recording an activation and finishing its Slack work: the next start completes it,
and nothing is posted twice (the outbox, and message metadata to find posts whose reply was lost)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, select

from bot.tools.fakeslack import SlackSender
from storage import models
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support import people, processes
from tests.support.slack_requests import filled_view

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=20.0, what="condition"):
    assert processes.wait_until(condition, timeout), f"timed out waiting for {what}"


class BotProcess:
    def __init__(self, fake, db_url: str, log_path: Path):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
        env |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.url,
                "DATABASE_URL": db_url, "BCBOT_ANNOUNCE_CHANNEL": people.ANNOUNCE, "BCBOT_LEASE_SECONDS": "1"}
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.tools.cli", "serve", "--http", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self._healthy, what="the bot to answer /healthz")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def children(self) -> list[int]:
        """The serving process's child processes (its worker), from /proc."""
        found = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            found += [int(pid) for pid in (task / "children").read_text().split()]
        return found

    def kill(self) -> None:
        workers = self.children()
        assert workers, "bcbot serve runs its work after the ack in a worker process"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()
        # The worker dies with it: no orphan goes on posting to Slack beside the next start.
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers),
                 what="the worker process to die with the serving process")

    def stop(self) -> None:
        processes.stop(self.proc, 10)
        if not self.log.closed:
            self.log.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


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
