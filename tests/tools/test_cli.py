"""The bcbot command line: plan check, settings errors, db upgrade, report by reference."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from config import BUNDLED_PLANS

ROOT = Path(__file__).resolve().parents[2]


def bcbot(*args, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    full_env |= env or {}
    return subprocess.run([sys.executable, "-m", "bot.tools.cli", *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd or ROOT, timeout=60)


def test_plan_check_accepts_the_bundled_plan():
    result = bcbot("plan", "check", str(BUNDLED_PLANS))
    assert result.returncode == 0 and "ok: wunderroot-bcp" in result.stdout


def test_plan_check_names_file_field_and_problem(tmp_path):
    data = yaml.safe_load((BUNDLED_PLANS / "wunderroot.yaml").read_text())
    data["testing"]["next"] = "soon"
    data["activation"]["team"] = []
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = bcbot("plan", "check", str(bad))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"{bad}:") and ": testing.next: " in line for line in lines)
    assert any(line.startswith(f"{bad}:") and ": activation.team: " in line for line in lines)


def test_serve_refuses_an_invalid_plan_naming_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Not Valid\n")
    result = bcbot("serve", "--http", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "BCBOT_PLANS": str(bad),
                                          "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    assert f"{bad}:1: id:" in result.stderr


def test_missing_or_malformed_settings_stop_with_one_line(tmp_path):
    missing = bcbot("serve", "--http", env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path)
    assert missing.returncode == 2 and "SLACK_BOT_TOKEN" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    bad_hour = bcbot("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "BCBOT_REMINDER_HOUR": "25"}, cwd=tmp_path)
    assert bad_hour.returncode == 2 and "BCBOT_REMINDER_HOUR" in bad_hour.stderr
    bad_tz = bcbot("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "BCBOT_TIMEZONE": "Mars/Base"}, cwd=tmp_path)
    assert "BCBOT_TIMEZONE" in bad_tz.stderr and "Mars/Base" in bad_tz.stderr
    bad_token = bcbot("serve", env={"SLACK_BOT_TOKEN": "xoxp-user-token-secret"}, cwd=tmp_path)
    assert "SLACK_BOT_TOKEN" in bad_token.stderr and "xoxp-user-token-secret" not in bad_token.stderr
    no_secret = bcbot("serve", "--http", env={"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path)
    assert "SLACK_SIGNING_SECRET" in no_secret.stderr


def test_db_upgrade_alone(tmp_path):
    result = bcbot("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path}/up.db"})
    assert result.returncode == 0 and "database at revision" in result.stdout


def test_report_accepts_the_incident_reference(tmp_path):
    assert bcbot("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path}/r.db"}).returncode == 0
    result = bcbot("report", "BC-99", env={"DATABASE_URL": f"sqlite:///{tmp_path}/r.db"})
    assert result.returncode == 1 and "There is no incident BC-99" in result.stderr


def test_init_writes_a_plan_and_env_and_the_seed_plan_then_passes_plan_check_from_its_folder(tmp_path):
    from tests.domain.test_plan_messages import GOOD

    folder = tmp_path / "bcp"
    result = bcbot("init", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan_file, env_file = folder / "plans" / "plan.yaml", folder / ".env"
    assert f"wrote   {plan_file}" in result.stdout and "Next:" in result.stdout and "REPLACE" in result.stdout
    env = env_file.read_text()
    # Relative to the .env's folder: the same files from any folder below it, and in the container at /data.
    assert "BCBOT_PLANS=plans\n" in env and "DATABASE_URL=sqlite:///bcbot.db\n" in env
    # The example, its people marked to replace, is valid as written.
    written = plan_file.read_text()
    assert written.count("# REPLACE") == 5 and "slack: U0SPARKS01  # REPLACE" in written
    check = bcbot("plan", "check", cwd=folder)
    assert check.returncode == 0 and "ok: wunderroot-bcp" in check.stdout, check.stdout + check.stderr
    # The seed plan as a BC manager writes it (bullet-point purposes, the handbook's relative contacts link,
    # the seed's review date, long past) passes, with the past date as a warning.
    plan_file.write_text(GOOD.replace("next: 2027-11-15", "next: 2015-11-30"))
    check = bcbot("plan", "check", cwd=folder)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{plan_file}:16: review.next: 2015-11-30 is in the past" in check.stdout and "(warning)" in check.stdout
    # Run again, it keeps what was edited.
    again = bcbot("init", str(folder), cwd=tmp_path)
    assert again.returncode == 0 and "kept" in again.stdout and "2015-11-30" in plan_file.read_text()


def test_version_and_plan_schema():
    import json

    version = bcbot("--version")
    assert version.returncode == 0 and version.stdout.startswith("bcbot ") and version.stdout.split()[1][0].isdigit()
    schema = json.loads(bcbot("plan", "schema").stdout)
    assert schema["title"] == "bcbot plan file" and {"id", "phases", "activation", "handbook_url"} <= set(schema["properties"])
    assert schema["properties"]["id"]["examples"] == ["wunderroot-bcp"]
    purpose = schema["$defs"]["Phase"]["properties"]["purpose"]
    assert {"type": "array", "items": {"type": "string"}} in purpose["anyOf"]


def test_plan_show_prints_the_plan_as_a_handbook_page():
    md = bcbot("plan", "show", "--format", "md", "--path", str(BUNDLED_PLANS))
    assert md.returncode == 0 and md.stdout.startswith("# Wunderroot Business Continuity Plan\n")
    assert "## Phase 3: Resumption and recovery" in md.stdout and "6. Hold a post-incident review" in md.stdout
    text = bcbot("plan", "show", "wunderroot-bcp", "--path", str(BUNDLED_PLANS))
    assert text.returncode == 0 and "Business Continuity Team: Steve Parks, Managing Director (UK)" in text.stdout
    missing = bcbot("plan", "show", "nope", "--path", str(BUNDLED_PLANS))
    assert missing.returncode == 1 and "no plan 'nope'" in missing.stderr and "wunderroot-bcp" in missing.stderr


def test_reading_commands_from_a_folder_without_the_database_say_where_they_looked_and_create_nothing(tmp_path):
    for command in (("report", "BC-1"), ("plan", "status")):
        result = bcbot(*command, cwd=tmp_path)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1, result.stderr
        assert str(tmp_path / "bcbot.db") in lines[0] and "DATABASE_URL" in lines[0] and ".env" in lines[0]
        assert "Traceback" not in result.stderr and "db upgrade" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no stray empty database


def test_reading_commands_refuse_a_database_without_bcbots_tables_and_leave_it_as_it_was(tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x TEXT)").connection.close()
    before = other.read_bytes()
    for command in (("report", "BC-1"), ("plan", "status")):
        result = bcbot(*command, env={"DATABASE_URL": f"sqlite:///{other}"}, cwd=tmp_path)
        assert result.returncode == 1 and "has no bcbot tables" in result.stderr, result.stderr
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]
