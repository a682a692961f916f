"""Secrets never reach log output.

The whole suite runs with recognisable secrets and fails at the end if any log line carries one
(tests/support/secrets.py, wired in tests/conftest.py). These tests make sure that check is real
(it sees DEBUG output of slack_sdk and Bolt), that `RedactSecrets` covers every part of a record
(arguments, exception text, stack), and that `bcbot -v serve`, as run in production, logs none.
"""
from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.runtime.logs import RedactSecrets, configure
from bot.slack.api import SlackApi, make_client
from tests.support import people, processes
from tests.support.secrets import APP_TOKEN, BOT_TOKEN, MARKERS, SECRETS, SESSION_LOG, SIGNING_SECRET, leaks_in
from tests.support.slack_requests import SlackSender

ROOT = Path(__file__).resolve().parents[2]


def redacted_output(emit, *, loggers=("tests.secrets",)) -> str:
    """What a handler configured like production's writes for the records `emit(logger)` logs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    saved = {}
    for name in loggers:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        emit(logging.getLogger(loggers[0]))
    finally:
        for name, level in saved.items():
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(level)
    return out.getvalue()


def test_the_suite_runs_with_recognisable_secrets(make_settings, fake_slack):
    settings = make_settings()
    assert settings.bot_token == BOT_TOKEN == fake_slack.token
    assert settings.slack_signing_secret.get_secret_value() == SIGNING_SECRET
    assert all(any(m in s for m in MARKERS) for s in SECRETS)


def test_the_session_check_sees_debug_output_of_slack_sdk_and_bolt(running):
    running.slack.command(people.OUTSIDER, "status")
    running.bot.slack.auth_test()
    running.settle()
    text = SESSION_LOG.buffer.getvalue()
    assert logging.getLogger().getEffectiveLevel() <= logging.DEBUG or SESSION_LOG.records
    assert " DEBUG slack_sdk" in text, "slack_sdk's DEBUG records do not reach the session check"
    assert " DEBUG bcbot.bolt" in text, "Bolt's DEBUG records do not reach the session check"
    assert not SESSION_LOG.leaks(), SESSION_LOG.leaks()[:5]


def test_redaction_covers_arguments_exceptions_and_stacks():
    def emit(log):
        log.debug("token %s", BOT_TOKEN)
        log.info("app token in the message: " + APP_TOKEN)
        log.warning("a dict argument: %s", {"token": BOT_TOKEN})
        try:
            raise RuntimeError(f"Slack said no to {BOT_TOKEN}")
        except RuntimeError:
            log.exception("an error whose text carries the token")
        log.info("with a stack", stack_info=True, extra={})

    out = redacted_output(emit)
    assert "RuntimeError" in out and "[redacted]" in out
    assert not leaks_in(out), leaks_in(out)


def test_slack_sdk_debug_records_are_redacted(fake_slack):
    api = SlackApi(make_client(token=BOT_TOKEN, base_url=fake_slack.url))

    def emit(_log):
        api.auth_test()
        api.post("C0GENERAL", text=f"pasted by mistake: {BOT_TOKEN}")

    out = redacted_output(emit, loggers=("slack_sdk",))
    assert "slack_sdk" in out and "chat.postMessage" in out
    assert not leaks_in(out), leaks_in(out)


def test_configure_installs_the_filter_on_the_only_handler():
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure(logging.DEBUG)
        [handler] = root.handlers
        assert any(isinstance(f, RedactSecrets) for f in handler.filters)
        assert logging.getLogger("slack_sdk").getEffectiveLevel() >= logging.INFO
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("slack_sdk").setLevel(logging.NOTSET)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bcbot_serve_at_debug_logs_no_secret(fake_slack, tmp_path):
    """Production's logging (`bcbot -v serve`), a few requests including refused and failing ones."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    env |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": fake_slack.url, "DATABASE_URL": f"sqlite:///{tmp_path}/secrets.db",
            "BCBOT_ANNOUNCE_CHANNEL": people.ANNOUNCE}
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot.tools.cli", "-v", "serve", "--http", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("bcbot serve did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.1)
        sender = SlackSender(url, SIGNING_SECRET, fake_slack.response_url)
        sender.command(people.OUTSIDER, "status")
        sender.command(people.PARKS, "")  # opens a modal: a Web API call with the token
        sender.command(people.PARKS, "status", secret="not-the-secret")  # refused: bad signature
        sender.post("payload=not-json", "application/x-www-form-urlencoded")  # refused: malformed
        fake_slack.fail("views.open", error="invalid_auth")
        sender.command(people.PARKS, "")  # Slack refuses the token
        sender.interactive({"type": "block_actions", "user": {"id": people.PARKS}, "team": {"id": "T0BCBOT"},
                            "actions": [{"action_id": "bcbot.step.done", "value": json.dumps({"s": 999})}],
                            "response_url": fake_slack.response_url + "x"})  # NotFound, told through response_url
        time.sleep(1.0)  # the background work after the acks
    finally:
        processes.stop(proc)
    output = log_path.read_text(errors="replace")
    assert " DEBUG " in output and "refused" in output, output[-3000:]
    assert not leaks_in(output), "\n".join(leaks_in(output)[:10])
