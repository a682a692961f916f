"""`bcbot demo` runs a whole incident with no Slack and prints what people would see."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_shows_every_main_event_and_the_report():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    result = subprocess.run([sys.executable, "-m", "bot.tools.cli", "demo"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in [
        "--- the activation form opens ---",
        "[Approve and activate] [Decline]",  # the team is asked
        "so your request has gone to them",  # the requester is told
        "== BC-1 · Wunderroot Business Continuity Plan ==",  # header in the new channel
        "#bc-",  # the incident channel
        "requested by @Olive Designer, approved by @Joe Baker",
        "✅ *1.* ~Confirm everyone is safe and accounted for~",  # a step done
        "not applicable: Everyone works from home on Fridays",
        "📌 *D1* · BC-1",  # a decision
        "📣 Situation report",  # an update
        "a status update for *BC-1* is due now",  # the nudge
        "to *Business continuity*", "to *Resumption and recovery*",  # each phase
        "*Incident BC-1 stood down*",  # stand-down
        "# Incident report: BC-1",  # then the report
        "## Timeline",
    ]:
        assert expected in out, expected
    assert "xoxb-" not in out + result.stderr
