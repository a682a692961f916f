"""House rules that keep the code simple: a pure domain, no import-time side effects, an append-only log."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The domain and Slack's language (rendering, parsing): importing them loads no Slack SDK and no SQLAlchemy.
SDK_FREE = ["bot.domain.plan", "bot.domain.incident", "bot.domain.records", "bot.domain.text", "bot.slack.mrkdwn", "bot.slack.blocks", "bot.slack.parse", "bot.domain.errors", "bot.slack.ids",
          "bot.domain.report", "bot.slack.home_blocks", "bot.slack.incident_blocks", "bot.domain.reminders", "bot.slack.plan_blocks"]


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_the_domain_and_slack_rendering_load_no_slack_sdk_and_no_sqlalchemy_when_imported():
    loaded = run(f"import sys; import {', '.join(SDK_FREE)}; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                 "('slack_sdk', 'slack_bolt', 'sqlalchemy')))")
    assert loaded.strip() == "[]"


def test_importing_everything_starts_no_threads_and_reads_no_settings():
    out = run("import threading, os; os.environ['SLACK_BOT_TOKEN']='bad'; "
              "import bot.runtime.app, bot.tools.cli, bot.runtime.http, bot.worker.jobs, handlers.actions, handlers.commands, handlers.views, "
              "handlers.events, handlers.home, handlers.shortcuts, storage.models, storage.db, storage.uow, config.settings; "
              "print(threading.active_count())")
    assert out.strip() == "1"


def test_no_code_path_updates_or_deletes_log_entries():
    pattern = re.compile(r"(update|delete)\(\s*(m\.|models\.)?IncidentLogEntry|IncidentLogEntry.*\.(update|delete)\(")
    offenders = [str(p) for folder in ("bot", "handlers", "storage") for p in (ROOT / folder).rglob("*.py")
                 if pattern.search(p.read_text())]
    assert offenders == []
