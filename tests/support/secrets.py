"""Recognisable secrets for the whole test session, and a check that none of them reaches log output.

tests/conftest.py uses these values for the bot token (the fake Slack expects the same one) and the
signing secret, and re-exports the hooks below, so every run of the suite does this:

- at start, the root logger goes to DEBUG and gains a handler that formats every record as the
  production handler (`bot.logs.configure`) would, with its `RedactSecrets` filter, tracebacks
  included, into memory;
- at the end, if any secret appears in that output, the run fails and the offending lines are shown.

So slack_sdk's and Bolt's DEBUG records are checked too, not only bcbot's own.
"""
from __future__ import annotations

import io
import logging
import threading

import pytest

from bot.runtime.logs import RedactSecrets

BOT_TOKEN = "xoxb-SECRET-BOT-TOKEN-4f1c9e2a7b"
SIGNING_SECRET = "SECRET-SIGNING-9d3b7e51a2c4f08e"
APP_TOKEN = "xapp-1-SECRET-APP-TOKEN-7a5c3e91"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN)
# Parts of the secrets that a partial leak (a token cut short, a prefix dropped) would still show.
MARKERS = ("SECRET-BOT-TOKEN", "SECRET-SIGNING", "SECRET-APP-TOKEN")

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SessionLog(logging.Handler):
    """Everything logged in this process, formatted as production formats it (after redaction)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter(FORMAT))
        self.addFilter(RedactSecrets())
        self.buffer = io.StringIO()
        self.records = 0
        self._write = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a broken record is not this check's business
            return
        with self._write:
            self.records += 1
            self.buffer.write(line + "\n")

    def leaks(self) -> list[str]:
        with self._write:
            text = self.buffer.getvalue()
        return [line for line in text.splitlines() if any(m in line for m in MARKERS)]


SESSION_LOG = SessionLog()


def leaks_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(m in line for m in MARKERS)]


def _install() -> None:
    root = logging.getLogger()
    if SESSION_LOG not in root.handlers:  # something (e.g. logs.configure) may have replaced the handlers
        root.addHandler(SESSION_LOG)
    # ... and its levels: a CLI run in process (logs.configure) leaves INFO behind, and every test after it
    # in that process would log no DEBUG record for this check to see.
    root.setLevel(logging.DEBUG)
    logging.getLogger("slack_sdk").setLevel(logging.NOTSET)


# Hooks: tests/conftest.py imports these names so pytest finds them ----------------------------
def pytest_configure(config):
    _install()


def pytest_runtest_setup(item):
    _install()


def pytest_sessionfinish(session, exitstatus):
    leaks = SESSION_LOG.leaks()
    if not leaks:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{len(leaks)} log line(s) contain a test secret:"] + [f"  {line[:300]}" for line in leaks[:20]]
    if reporter is not None:
        reporter.write_sep("=", "secrets in log output", red=True)
        for line in lines:
            reporter.write_line(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
