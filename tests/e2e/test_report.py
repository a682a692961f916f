"""The report end to end: an incident run over signed requests, then the report posted at stand-down and
printed by `bcbot report`, checked field by field."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from storage import models
from tests.e2e.helpers import activate, button, channel_messages, rows, steps_of
from tests.support import people
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def header_value(running, row, action_id: str) -> str:
    head = next(m for m in channel_messages(running, row.channel_id) if m["ts"] == row.header_ts)
    return button(next(b for b in head["blocks"] if b["type"] == "actions"), action_id)["value"]


def submit(running, user, callback_id, values: dict) -> None:
    view = [v for v in running.fake.views.values() if v.get("callback_id") == callback_id][-1]
    reply = running.slack.view_submission(user, {**view, "state": {"values": {k: {"value": v} for k, v in values.items()}}})
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    running.settle()


def test_report_of_an_incident_run_in_slack(start_app, db_url):
    clock = FakeClock()
    t0 = clock()
    running = start_app(clock=clock, bcbot_timezone="Europe/Paris")
    activate(running, people.PARKS, lead=people.LEAD)
    [row] = rows(running, models.Incident)

    clock.advance(minutes=10)
    checklist = channel_messages(running, row.channel_id)[1]
    _, actions = steps_of(checklist)[0]
    running.slack.block_action(people.BAKER, "bcbot.step.done", button(actions, "bcbot.step.done")["value"],
                               channel=row.channel_id, message_ts=checklist["ts"])
    running.settle()

    clock.advance(minutes=10)
    running.slack.command(people.LEAD, "decision Work from the fallback | today", channel=row.channel_id)
    running.settle()

    clock.advance(minutes=10)
    running.slack.block_action(people.LEAD, "bcbot.incident.update", header_value(running, row, "bcbot.incident.update"),
                               channel=row.channel_id)
    running.settle()
    submit(running, people.LEAD, "bcbot.status_update", {"situation": {"value": "Fallback up\nfiles restored"},
                                                          "next_update": {"selected_option": {"value": "60"}}})

    clock.advance(minutes=90)
    running.slack.block_action(people.LEAD, "bcbot.incident.advance", header_value(running, row, "bcbot.incident.advance"),
                               channel=row.channel_id)
    running.settle()

    clock.advance(hours=3)
    running.slack.block_action(people.LEAD, "bcbot.incident.stand_down",
                               header_value(running, row, "bcbot.incident.stand_down"), channel=row.channel_id)
    running.settle()
    submit(running, people.LEAD, "bcbot.stand_down", {"text": {"value": "Restored from backup"}})

    [file] = [f for f in running.fake.files.values()
              if f["filename"] == "BC-1-report.md" and f.get("channel") == row.channel_id]
    markdown = file["content"].decode() if isinstance(file["content"], bytes) else file["content"]
    assert markdown.startswith("# Incident report: BC-1 — Wunderroot Business Continuity Plan")
    assert "**Decision:** Work from the fallback \\| today" in markdown and "| Local (Europe/Paris) |" in markdown

    # The same report from the command line, as JSON, field by field.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    env |= {"DATABASE_URL": db_url, "BCBOT_TIMEZONE": "Europe/Paris"}
    result = subprocess.run([sys.executable, "-m", "bot.tools.cli", "report", "BC-1", "--format", "json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [version] = rows(running, models.PlanVersion)

    def utc(delta: timedelta) -> str:
        return (t0 + delta).isoformat()

    assert report["format_version"] == 1 and report["timezone"] == "Europe/Paris"
    assert report["plan"]["version"] == version.content_hash and report["plan"]["id"] == "wunderroot-bcp"
    inc = report["incident"]
    assert (inc["reference"], inc["state"], inc["lead"], inc["activated_by"], inc["closing_summary"]) == \
        ("BC-1", "stood_down", people.LEAD, people.PARKS, "Restored from backup")
    assert inc["activated_at"]["utc"] == utc(timedelta(0)) and inc["channel"]["id"] == row.channel_id
    assert report["durations_seconds"] == {"to_incident_management": 0, "to_business_continuity": 120 * 60,
                                           "to_resumption_recovery": None, "to_stand_down": 300 * 60}
    [decision] = report["decisions"]
    assert (decision["label"], decision["decision"], decision["decided_by"], decision["logged_by"]) == \
        ("D1", "Work from the fallback | today", people.LEAD, people.LEAD)
    assert decision["at"]["utc"] == utc(timedelta(minutes=20))
    [update] = report["status_updates"]
    assert (update["who"], update["situation"], update["next_update_due"]["utc"]) == \
        (people.LEAD, "Fallback up\nfiles restored", utc(timedelta(minutes=90)))
    im, bc, rr = report["phases"]
    first = im["steps"][0]
    assert (first["status"], first["changed_by"], first["changed_at"]["utc"]) == ("done", people.BAKER, utc(timedelta(minutes=10)))
    assert im["progress"] == {"done": 1, "not_applicable": 0, "open": 6, "total": 7} and im["carried_over"] == [2, 3, 4, 5, 6, 7]
    assert bc["started_at"]["utc"] == utc(timedelta(minutes=120)) and bc["duration_seconds"] == 180 * 60 and not rr["reached"]
    assert report["stand_down"]["by"] == people.LEAD and report["stand_down"]["at"]["utc"] == utc(timedelta(minutes=300))
    # Names beside the IDs: the plan's name for its people, Slack's for the others (the lead).
    assert (inc["lead_name"], inc["activated_by_name"], decision["decided_by_name"], first["changed_by_name"]) == \
        ("Lee Lead", "Steve Parks", "Lee Lead", "Joe Baker")
    assert "U0" not in markdown.replace("U0BCBOT", "")  # the file posted at stand-down names people too

    # The Markdown report names the lead, activator, decision's author and step's doer, and shows no Slack ID.
    md = subprocess.run([sys.executable, "-m", "bot.tools.cli", "report", "BC-1"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=60)
    assert md.returncode == 0, md.stderr
    assert "- **Incident lead:** Lee Lead" in md.stdout and "by Steve Parks" in md.stdout
    assert "- **Decided by:** Lee Lead · logged by Lee Lead" in md.stdout and "done by Joe Baker" in md.stdout
    assert not re.search(r"\b[UW][A-Z0-9]{6,}\b", md.stdout), re.findall(r"\b[UW][A-Z0-9]{6,}\b", md.stdout)
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[:3] == ["activated", "channel_created", "step_done"]
    assert {"decision", "status_update", "phase_changed", "stood_down"} <= set(kinds)
    assert all(e["at"]["local"].endswith("+01:00") for e in report["timeline"])  # Paris in November
