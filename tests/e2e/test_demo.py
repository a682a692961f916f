"""`bcbot demo` runs a whole incident with no Slack and prints what people would see: mrkdwn rendered, each
message once (an edit as what it changed), the BC manager's own work too; `--keep DIR` keeps what it made."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bcbot(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-m", "bot.tools.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_demo_shows_every_main_event_rendered_once_and_the_report():
    result = bcbot("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in [
        "--- the activation form opens ---",
        "[Approve and activate] [Decline]",  # the team is asked, in one message naming each of them
        "--- DM with Steve Parks, Steve Hunton and Joe Baker ---",
        "so your request has gone to them",  # the requester is told
        "#bc-",  # the incident channel
        "Activated by: requested by @Olive Designer, approved by @Joe Baker",
        "are you safe? Answer with one of the buttons",  # the roll call, asked by DM
        "✅ 2 safe · 🟠 1 safe, can't work · 🆘 0 need help · ⏳ 2 no answer · 3 of 5 answered",  # its tally
        "can you cover Lead Developer? @Joe Baker answered safe, can't work.",  # the alternate asked
        "now:  • Lead Developer: @Amy Cole (covering for @Joe Baker)",  # and covering
        "✅ 1. Confirm everyone is safe and accounted for",  # a step done
        "not applicable: Everyone works from home on Fridays",
        "📌 D1 · BC-1",  # a decision
        "📣 Situation report",  # an update
        "a status update for BC-1 is due now",  # the nudge
        "now:  Phase: Business continuity", "now:  Phase: Resumption and recovery",  # each phase, as an edit
        "Incident BC-1 stood down by @Steve Hunton",  # stand-down
        "Contact details (https://handbook.wunderroot.example/",  # a link as text (url)
        "the plan's review is overdue by 7 days",  # the review reminder
        "✅ Marked reviewed by @Steve Parks",  # Mark reviewed, as an edit of the reminder
        "🧪 EXERCISE · BC-2", "The exercise is recorded as a test of the plan.",  # an exercise
        "--- App Home (Steve Parks) ---", "Recently stood down",  # App Home
        "# Incident report: BC-1",  # and the report
        "## Timeline",
    ]:
        assert expected in out, expected
    assert "xoxb-" not in out + result.stderr
    # What Slack shows is rendered: no mrkdwn markers, mentions, specials or escapes left raw (the report, a
    # Markdown file, comes after).
    slack = out[:out.index("# Incident report: BC-1")]
    for raw in ("*", "~", "`", "<!", "<@", "&lt;", "&gt;", "&amp;"):
        assert raw not in slack, (raw, [line for line in slack.splitlines() if raw in line][:3])
    assert not re.search(r"(^|\s)_[^\s_][^\n_]*[^\s_]_(\s|$)", slack, flags=re.MULTILINE)  # _italics_
    # Each message once: the header in full once, its edits as the lines they changed.
    assert out.count("== BC-1 · Wunderroot Business Continuity Plan ==") == 1
    assert out.count("\n  Circumstance: Loss of critical systems\n") == 1  # the header's fields
    assert slack.count("[Approve and activate] [Decline]") == 1


def test_demo_keep_leaves_a_folder_where_report_and_plan_status_work(tmp_path):
    kept = tmp_path / "d"
    result = bcbot("demo", "--keep", str(kept), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"cd {kept} && bcbot report BC-1" in result.stdout
    report = bcbot("report", "BC-1", cwd=kept)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("# Incident report: BC-1") and "File server restored from backup" in report.stdout
    assert f"database sqlite:///{kept}/bcbot.db" in report.stderr and f"plans {kept / 'plans'}" in report.stderr
    status = bcbot("plan", "status", cwd=kept)
    assert status.returncode == 0 and "wunderroot-bcp" in status.stdout + status.stderr, status.stderr
    again = bcbot("demo", "--keep", str(kept), cwd=tmp_path)  # never over a database it kept before
    assert again.returncode == 1 and "already holds a demo database" in again.stderr
