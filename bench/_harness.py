"""What the benchmark scripts share: the fake Slack with the example plan's people, the bot under
waitress on loopback, a signed Slack sender, and a watchdog that bounds each script's run time.

Not a benchmark itself (the leading underscore); each bench/*.py imports it from its own folder.
"""
from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.tools.fakeslack import FakeSlack, SlackSender  # noqa: E402

TOKEN, SECRET = "xoxb-bench-token", "bench-signing-secret"
PARKS, HUNTON, BAKER, OUTSIDER, LEAD = "U0SPARKS01", "U0HUNTON01", "U0JBAKER01", "U0OUTSIDE1", "U0LEADER01"
HUNTON_EMAIL = "steve.hunton@wunderroot.example"
ANNOUNCE = "C0ANNOUNCE"


def quiet() -> None:
    """Warnings only: the bot logs every activation at INFO."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.WARNING)


def watchdog(seconds: float) -> None:
    """Bound the run: if the script is still going after `seconds`, say so and exit."""
    def fire():
        print(f"\n!! watchdog: still running after {seconds:.0f} s, exiting", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


def start_fake() -> FakeSlack:
    fake = FakeSlack(token=TOKEN).start()
    fake.add_user(PARKS, "Steve Parks")
    fake.add_user(HUNTON, "Steve Hunton", email=HUNTON_EMAIL)
    fake.add_user(BAKER, "Joe Baker")
    fake.add_user(OUTSIDER, "Olive Outsider")
    fake.add_user(LEAD, "Lee Lead")
    for channel_id, name in ((ANNOUNCE, "bc-announcements"), ("C0GENERAL", "general")):
        fake.add_channel(channel_id, name)
        fake.channels[channel_id].members.add(fake.bot_user_id)
    return fake


def settings_for(fake: FakeSlack, db_path: Path):
    from config.settings import load_settings

    return load_settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                         slack_api_url=fake.url, database_url=f"sqlite:///{db_path}",
                         bcbot_announce_channel=ANNOUNCE)


def serve(wsgi_server) -> threading.Thread:
    def run():
        try:
            wsgi_server.run()
        except OSError:  # waitress's loop sees its socket closed by server.close()
            pass

    thread = threading.Thread(target=run, name="waitress-main", daemon=True)
    thread.start()
    return thread


def sender(port: int, fake: FakeSlack) -> SlackSender:
    return SlackSender(f"http://127.0.0.1:{port}", SECRET, fake.response_url)


CIRCUMSTANCES = ("Loss of critical systems", "Loss of office premises", "Loss of a key supplier")


def filled_view(view: dict, *, user: str, summary: str = "The file server died at 09:00",
                circumstance: str = CIRCUMSTANCES[0]) -> dict:
    """The activation modal as Slack sends it back on submit, filled in (as tests/support does)."""
    values = {
        "circumstance": {"value": {"type": "static_select", "selected_option": {"value": circumstance}}},
        "other": {"value": {"type": "plain_text_input", "value": None}},
        "summary": {"value": {"type": "plain_text_input", "value": summary}},
        "services": {"value": {"type": "multi_static_select",
                               "selected_options": [{"value": "Project management and delivery"}]}},
        "lead": {"value": {"type": "users_select", "selected_user": user}},
    }
    return {**view, "state": {"values": values}}


from tests.e2e.helpers import steps_of  # noqa: E402,F401  (one reading of a checklist message)


def button_value(actions: dict, action_id: str) -> str | None:
    return next((e.get("value") for e in actions["elements"] if e["action_id"] == action_id), None)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values), "mean": statistics.fmean(values)}


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's resident set size in MB (Linux /proc); field="VmHWM" for its peak."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int | str = "self") -> float:
    """CPU time (user + system) a process has used (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Child:
    """A bench script run again as a child process (`--child ARGS`), driven by lines on its stdin.

    The child prints one line when ready, then answers each command line with one line."""

    def __init__(self, script: str, *args: str):
        self.proc = subprocess.Popen([sys.executable, script, "--child", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.hello = self.proc.stdout.readline().split()
        if not self.hello:
            raise RuntimeError(f"{script} --child {' '.join(args)} did not start")

    def ask(self, command: str) -> list[str]:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def rss_mb(self, field: str = "VmRSS") -> float:
        return rss_mb(self.proc.pid, field)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def child_loop(commands: dict) -> None:
    """In a child: answer each stdin line `NAME ARGS...` with commands[NAME](*ARGS) until `stop` or EOF."""
    for line in sys.stdin:
        name, *args = line.split() or [""]
        if name == "stop":
            print("stopped", flush=True)
            return
        print(commands[name](*args) if name in commands else f"unknown {name}", flush=True)


def machine() -> str:
    """One line about the machine, so figures can be read in context (others' load skews them)."""
    load = os.getloadavg()
    return (f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"Python {sys.version.split()[0]}")


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
