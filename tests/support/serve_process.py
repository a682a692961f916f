"""A real `bcbot serve --http` in a subprocess (its worker a process of its own), for the crash tests:
start it on a database, find its worker, SIGKILL either, read what each left in its log."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support import people, processes
from tests.support.secrets import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=20.0, what="condition", interval=0.05):
    assert processes.wait_until(condition, timeout, interval), f"timed out waiting for {what}"


class BotProcess:
    """`python -m bot.tools.cli serve --http` against `fake` and `db_url`; `env` adds to (or overrides)
    its environment, a None value unsets (BCBOT_LEASE_SECONDS is 1 unless given)."""

    def __init__(self, fake, db_url: str, log_path: Path, env: dict[str, str | None] | None = None):
        self.port = free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
        base |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.url,
                 "DATABASE_URL": db_url, "BCBOT_ANNOUNCE_CHANNEL": people.ANNOUNCE, "BCBOT_LEASE_SECONDS": "1"}
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.tools.cli", "serve", "--http", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=ROOT,
                                     env={k: v for k, v in (base | (env or {})).items() if v is not None},
                                     stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"
        try:
            wait_for(self._healthy, timeout=30, what="the bot to answer /healthz")
        except AssertionError:
            self.stop()
            raise AssertionError(f"the bot did not start; its log ends:\n{self.log_tail()}") from None

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"bcbot serve exited ({self.proc.returncode}); its log ends:\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def children(self) -> list[int]:
        """The serving process's living child processes (its worker), from /proc."""
        found = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                found += [int(pid) for pid in (task / "children").read_text().split()]
            except OSError:  # a thread that ended meanwhile
                continue
        return [pid for pid in found if _state(pid) != "Z"]

    def worker_pid(self) -> int:
        [worker] = self.children()
        return worker

    def worker_source_root(self) -> Path:
        """The directory the worker imports `bot` from (its command line's first argument after -c)."""
        argv = Path(f"/proc/{self.worker_pid()}/cmdline").read_bytes().split(b"\0")
        return Path(argv[argv.index(b"-c") + 2].decode())

    def worker_replaced(self, old: int) -> bool:
        """Whether a worker other than `old` runs (the server's supervisor started it)."""
        return any(pid != old for pid in self.children())

    def kill(self) -> None:
        """SIGKILL the serving process; its worker dies with it (the kernel's parent-death signal)."""
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

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
