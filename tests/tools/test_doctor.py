"""`bcbot doctor`: one line per check in the issue's order (a SKIP line, with the reason, for a check that
cannot run), a fix for each failure, non-zero exit on any; `bcbot serve` checks the same at start."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.slack.api import REQUIRED_SCOPES
from bot.tools.doctor import CHECKS, run_checks
from config import BUNDLED_PLANS
from storage.db import make_engine
from storage.migrate import current_revision, head_revision, upgrade
from tests.support import people, processes
from tests.support.secrets import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from tests.tools.test_cli import ROOT, bcbot

# The issue's order: settings, plan files, database, bot token with its scopes, Socket Mode/HTTP, people.
ORDER = ["settings", "plans", "database", "slack token", "mode", "people"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def migrate(url: str, revision: str = "head") -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()


def checks_for(fake_slack, db_url, *, migrated=True, **overrides):
    """The doctor's checks with settings read as `bcbot doctor` reads them (overrides in place of the
    environment), so bad settings are reported the doctor's way."""
    if migrated:
        migrate(db_url)
    values = dict(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                  slack_api_url=fake_slack.url, database_url=db_url)
    return list(run_checks(**(values | overrides)))


def by_name(checks):
    return {c.name: c for c in checks}


def the(checks, name):
    [check] = [c for c in checks if c.name == name]
    return check


def assert_one_line_per_check_in_order(checks):
    names = [c.name for c in checks]
    # Several bad settings give several settings lines; every other check has exactly one.
    assert [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n] == ORDER, names


def test_the_manifest_asks_for_the_scopes_the_doctor_checks():
    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(REQUIRED_SCOPES)


def test_checks_follow_the_issues_order():
    assert list(CHECKS) == ORDER


def test_a_healthy_setup_passes_every_check_in_order(fake_slack, db_url):
    checks = checks_for(fake_slack, db_url)
    assert [c.name for c in checks] == ORDER
    assert all(c.ok for c in checks), [c.line() for c in checks]
    # The bundled example works, but its people are made up: the plans line says so (a warning, not a failure).
    assert [c.line()[:4] for c in checks] == ["ok  ", "WARN", "ok  ", "ok  ", "ok  ", "ok  "]
    assert "bundled example plan is in use" in the(checks, "plans").detail and "bcbot init" in the(checks, "plans").fix
    assert "HTTP mode" in the(checks, "mode").detail


def test_a_plan_of_ones_own_passes_and_one_with_the_examples_people_or_past_dates_warns(fake_slack, db_url, tmp_path):
    data = yaml.safe_load((BUNDLED_PLANS / "wunderroot.yaml").read_text())
    own = tmp_path / "plans" / "own.yaml"
    own.parent.mkdir()
    own.write_text(yaml.safe_dump(data))
    plans = the(checks_for(fake_slack, db_url, bcbot_plans=own.parent), "plans")
    assert plans.status == "warn" and "made-up people (Joe Baker, Steve Hunton, Steve Parks)" in plans.detail
    for person in [*data["owners"], *data["activation"]["team"]]:
        person.pop("email", None)
        person["slack"] = "U0REAL" + person["name"].split()[-1].upper()[:4]
    data["review"]["next"] = "2015-11-30"
    own.write_text(yaml.safe_dump(data))
    plans = the(checks_for(fake_slack, db_url, bcbot_plans=own.parent), "plans")
    assert plans.status == "warn" and "made-up" not in plans.detail
    assert f"{own}:" in plans.detail and "review.next: 2015-11-30 is in the past" in plans.detail
    data["review"]["next"] = "2028-01-31"
    own.write_text(yaml.safe_dump(data))
    assert the(checks_for(fake_slack, db_url, bcbot_plans=own.parent), "plans").status == "ok"


def test_a_healthy_socket_mode_setup_passes_with_its_app_token_checked(fake_slack, db_url):
    fake_slack.app_token = APP_TOKEN
    checks = checks_for(fake_slack, db_url, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    assert all(c.ok for c in checks), [c.line() for c in checks]
    assert "Socket Mode" in the(checks, "mode").detail
    assert len(fake_slack.calls_to("apps.connections.open")) == 1


# Settings ---------------------------------------------------------------------------------------

def test_every_bad_setting_has_its_line_and_fix_and_the_other_checks_still_run(fake_slack, db_url):
    checks = checks_for(fake_slack, db_url, bcbot_timezone="Mars/Base", bcbot_reminder_hour="25")
    assert_one_line_per_check_in_order(checks)
    settings = [c for c in checks if c.name == "settings"]
    assert [c.status for c in settings] == ["fail", "fail"]
    assert "BCBOT_TIMEZONE" in settings[0].detail and "Mars/Base" in settings[0].detail
    assert "Europe/London" in settings[0].fix and "— fix: " in settings[0].line()
    assert "BCBOT_REMINDER_HOUR" in settings[1].detail and "0 to 23" in settings[1].fix
    # Neither setting matters to the other checks: they all run, and pass.
    assert all(c.ok for c in checks if c.name != "settings"), [c.line() for c in checks]


def test_a_check_that_depends_on_a_bad_setting_is_skipped_saying_why(fake_slack, db_url):
    checks = checks_for(fake_slack, db_url, database_url="not a url", slack_api_url="slack.com/api")
    assert_one_line_per_check_in_order(checks)
    got = by_name(checks)
    assert got["database"].status == "skip" and "DATABASE_URL is invalid" in got["database"].line()
    assert got["database"].line().startswith("SKIP database: ")
    assert got["slack token"].status == "skip" and "SLACK_API_URL" in got["slack token"].detail
    assert got["people"].status == "skip"
    assert got["plans"].ok and got["mode"].ok  # these do not depend on either
    assert not fake_slack.calls


def test_a_missing_bot_token_fails_settings_and_skips_what_needs_it(fake_slack, db_url):
    checks = checks_for(fake_slack, db_url, slack_bot_token=None)
    assert [c.name for c in checks] == ORDER
    got = by_name(checks)
    assert got["settings"].status == "fail" and "SLACK_BOT_TOKEN is missing" in got["settings"].detail
    assert "xoxb-" in got["settings"].fix
    assert got["slack token"].line() == "SKIP slack token: SLACK_BOT_TOKEN is not set (see settings)"
    assert got["people"].line().startswith("SKIP people: ") and "token" in got["people"].detail
    assert got["plans"].ok and got["database"].ok and got["mode"].ok


def test_serve_names_every_bad_setting_on_one_line(tmp_path):
    result = bcbot("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "BCBOT_TIMEZONE": "Mars/Base",
                                 "BCBOT_REMINDER_HOUR": "25"}, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "BCBOT_TIMEZONE" in result.stderr and "BCBOT_REMINDER_HOUR" in result.stderr


def test_settings_left_empty_as_in_env_example_count_as_unset(fake_slack, db_url):
    checks = checks_for(fake_slack, db_url, slack_app_token="", slack_signing_secret="")
    assert the(checks, "settings").ok
    mode = the(checks, "mode")
    assert mode.status == "fail" and "HTTP mode (no SLACK_APP_TOKEN) but SLACK_SIGNING_SECRET is missing" in mode.detail
    assert not fake_slack.calls_to("apps.connections.open")


# Plans ------------------------------------------------------------------------------------------

def test_bad_plans_fail_with_file_field_and_fix_and_people_are_skipped(fake_slack, db_url, tmp_path):
    data = yaml.safe_load((BUNDLED_PLANS / "wunderroot.yaml").read_text())
    data["testing"]["next"] = "soon"
    bad = tmp_path / "plans" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text(yaml.safe_dump(data))
    checks = checks_for(fake_slack, db_url, bcbot_plans=bad.parent)
    assert [c.name for c in checks] == ORDER
    got = by_name(checks)
    assert got["plans"].status == "fail" and f"{bad}:" in got["plans"].detail and ": testing.next: " in got["plans"].detail
    assert f"bcbot plan check {bad.parent}" in got["plans"].fix
    assert got["people"].status == "skip" and "plan" in got["people"].detail
    assert got["database"].ok and got["slack token"].ok


# Database ---------------------------------------------------------------------------------------

def test_a_missing_database_file_is_reported_not_created(fake_slack, tmp_path):
    db = tmp_path / "missing.db"
    checks = checks_for(fake_slack, f"sqlite:///{db}", migrated=False)
    database = the(checks, "database")
    assert database.status == "fail" and "does not exist yet" in database.detail
    assert "bcbot db upgrade" in database.fix and "bcbot serve" in database.fix
    assert not db.exists() and sorted(tmp_path.iterdir()) == []


def test_doctor_creates_no_database_in_the_working_directory(tmp_path, fake_slack):
    result = bcbot("doctor", env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.url}, cwd=tmp_path)
    assert "FAIL database: database file bcbot.db does not exist yet" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_an_existing_database_is_only_read(fake_slack, db_url, tmp_path):
    checks = checks_for(fake_slack, db_url)
    assert the(checks, "database").ok
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["bcbot.db", "bcbot.db.migrate-lock"], files  # no -wal/-shm left behind


def test_a_missing_migration_fails_with_the_upgrade_command(fake_slack, db_url):
    migrate(db_url, "0003")
    database = the(checks_for(fake_slack, db_url, migrated=False), "database")
    assert database.status == "fail"
    assert f"at migration 0003, latest is {head_revision()}" in database.detail
    assert "bcbot db upgrade" in database.fix
    engine = make_engine(db_url)
    assert current_revision(engine) == "0003"  # the doctor did not migrate it
    engine.dispose()


def test_a_database_at_the_latest_migration_without_a_column_fails_with_what_is_missing(fake_slack, db_url):
    """The revision says latest; the reminder sweep would fail on every run. The doctor reads the tables."""
    migrate(db_url)
    drop_column(db_url, "plan_governance", "review_reminded_for")
    database = the(checks_for(fake_slack, db_url, migrated=False), "database")
    assert database.status == "fail"
    assert database.detail == (f"at the latest migration ({head_revision()}) but the schema lacks column "
                               "plan_governance.review_reminded_for")
    assert "restore the database from a backup" in database.fix and "storage/models.py" in database.fix


def drop_column(db_url: str, table: str, column: str) -> None:
    import sqlite3

    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.close()


def test_an_unreachable_database_says_so_without_the_password(fake_slack):
    url = f"postgresql+psycopg://postgres:hunter2pw@127.0.0.1:{free_port()}/x"
    checks = checks_for(fake_slack, url, migrated=False)
    assert [c.name for c in checks] == ORDER
    database = the(checks, "database")
    assert database.status == "fail" and "cannot reach postgresql+psycopg://postgres:***@127.0.0.1" in database.detail
    assert "DATABASE_URL" in database.fix and "server is up" in database.fix
    assert "hunter2pw" not in database.line()
    assert the(checks, "slack token").ok  # the later checks still run


# Slack ------------------------------------------------------------------------------------------

def test_an_unreachable_slack_is_not_called_a_bad_token(fake_slack, db_url):
    url = f"http://127.0.0.1:{free_port()}/api/"
    fake_slack.app_token = APP_TOKEN
    started = time.monotonic()
    checks = checks_for(fake_slack, db_url, slack_api_url=url, slack_app_token=APP_TOKEN)
    assert time.monotonic() - started < 2  # no reconnect attempts
    assert [c.name for c in checks] == ORDER
    token = the(checks, "slack token")
    assert token.status == "fail" and f"could not reach Slack at {url}" in token.detail
    assert "SLACK_API_URL" in token.fix and "network" in token.fix and "copy" not in token.fix.lower()
    assert the(checks, "mode").status == "skip" and "could not be reached" in the(checks, "mode").detail
    assert the(checks, "people").status == "skip"


def test_an_invalid_token_is_reported_with_how_to_get_it_again(fake_slack, db_url):
    checks = checks_for(fake_slack, db_url, slack_bot_token="xoxb-wrong")
    assert [c.name for c in checks] == ORDER
    token = the(checks, "slack token")
    assert token.status == "fail" and "invalid_auth" in token.detail
    assert "Bot User OAuth Token" in token.fix and "SLACK_BOT_TOKEN" in token.fix
    people_check = the(checks, "people")
    assert people_check.status == "skip" and "see slack token" in people_check.detail


def test_a_missing_scope_is_named_and_people_are_still_checked(fake_slack, db_url):
    fake_slack.scopes = [s for s in REQUIRED_SCOPES if s != "pins:write"]
    checks = checks_for(fake_slack, db_url)
    token = the(checks, "slack token")
    assert token.status == "fail" and token.detail.endswith("missing scopes: pins:write")
    assert "OAuth & Permissions" in token.fix and "reinstall" in token.fix
    assert the(checks, "people").ok


def test_a_wrong_app_token_fails_the_mode_check(fake_slack, db_url):
    fake_slack.app_token = "xapp-1-the-real-one"
    checks = checks_for(fake_slack, db_url, slack_app_token=APP_TOKEN)
    mode = the(checks, "mode")
    assert mode.status == "fail" and "invalid_auth" in mode.detail and "SLACK_APP_TOKEN" in mode.detail
    assert "App-Level Tokens" in mode.fix and "connections:write" in mode.fix
    assert APP_TOKEN not in mode.line()


def test_the_fake_slack_answers_apps_connections_open_as_slack_does(fake_slack):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    fake_slack.app_token = APP_TOKEN
    client = WebClient(base_url=fake_slack.url)
    assert client.apps_connections_open(app_token=APP_TOKEN)["url"].startswith("wss://")
    for token, error in [("xapp-1-wrong", "invalid_auth"), (BOT_TOKEN, "not_allowed_token_type")]:
        with pytest.raises(SlackApiError) as raised:
            client.apps_connections_open(app_token=token)
        assert raised.value.response["error"] == error


def test_http_mode_without_a_signing_secret_fails_the_mode_check(fake_slack, db_url):
    mode = the(checks_for(fake_slack, db_url, slack_signing_secret=None), "mode")
    assert mode.status == "fail" and "SLACK_SIGNING_SECRET is missing" in mode.detail
    assert "Signing Secret" in mode.fix and "SLACK_APP_TOKEN" in mode.fix


def test_people_slack_cannot_find_are_named_with_their_plan(fake_slack, db_url):
    fake_slack.users[people.HUNTON].email = None  # an owner listed by email, unknown to Slack
    del fake_slack.users[people.BAKER]  # a team member listed by Slack ID, not in the workspace
    check = the(checks_for(fake_slack, db_url), "people")
    assert check.status == "fail"
    assert f"Steve Hunton ({people.HUNTON_EMAIL}) in wunderroot-bcp" in check.detail
    assert f"Joe Baker ({people.BAKER}) in wunderroot-bcp" in check.detail
    assert "`slack` user ID or `email`" in check.fix


# The command ------------------------------------------------------------------------------------

def doctor_env(fake_slack, tmp_path, **extra):
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/d.db"} | extra


def test_doctor_command_exits_zero_when_all_is_well(tmp_path, fake_slack):
    migrate(f"sqlite:///{tmp_path}/d.db")
    result = bcbot("doctor", env=doctor_env(fake_slack, tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.startswith("settings from ") and f"database sqlite:///{tmp_path}/d.db;" in header
    assert [line.split(":")[0] for line in lines] == [
        "ok   settings", "WARN plans", *(f"ok   {n}" for n in ORDER[2:])]  # the bundled example: a warning


def test_doctor_command_exits_non_zero_on_any_failure_printing_only_its_lines(tmp_path, fake_slack):
    unreachable = f"http://127.0.0.1:{free_port()}/api/"
    result = bcbot("doctor", env=doctor_env(fake_slack, tmp_path, SLACK_API_URL=unreachable,
                                            BCBOT_TIMEZONE="Mars/Base"), cwd=tmp_path)
    assert result.returncode == 1
    header, *lines = result.stdout.strip().splitlines()
    # The bundled plans of the installed bcbot (a checkout's own, or site-packages' in a clean install).
    assert header.startswith(f"settings from the environment only (no .env found); database sqlite:///{tmp_path}/d.db; "
                             "plans ") and header.endswith(f"{BUNDLED_PLANS.parent.name}/plans (the bundled example)")
    assert [line.split(":")[0] for line in lines] == [
        "FAIL settings", "WARN plans", "FAIL database", "FAIL slack token", "ok   mode", "SKIP people"], lines
    assert result.stderr == ""  # no slack_sdk retry errors, no alembic INFO lines
    assert BOT_TOKEN not in result.stdout + result.stderr


def test_doctor_command_fails_on_a_single_failure(tmp_path, fake_slack):
    migrate(f"sqlite:///{tmp_path}/d.db")
    fake_slack.scopes = [s for s in REQUIRED_SCOPES if s != "files:write"]
    result = bcbot("doctor", env=doctor_env(fake_slack, tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL slack token" in result.stdout and "files:write" in result.stdout


# bcbot serve ------------------------------------------------------------------------------------

def serve_env(fake_slack, db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BCBOT_", "DATABASE_URL"))}
    return env | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.url,
                  "DATABASE_URL": db_url, "BCBOT_ANNOUNCE_CHANNEL": people.ANNOUNCE}


def wait_for(condition):
    return processes.wait_until(condition, timeout=30.0, interval=0.1)


def test_serve_logs_the_doctors_problems_at_start(fake_slack, tmp_path):
    fake_slack.scopes = [s for s in REQUIRED_SCOPES if s != "pins:write"]
    fake_slack.users[people.HUNTON].email = None
    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot.tools.cli", "serve", "--http", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=serve_env(fake_slack, f"sqlite:///{tmp_path}/s.db"),
                                stdout=log, stderr=log)

    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return proc.poll() is not None

    def logged():
        text = log_path.read_text(errors="replace")
        return "setup problem: FAIL people" in text

    try:
        assert wait_for(healthy) and proc.poll() is None, log_path.read_text()[-3000:]
        assert wait_for(logged), log_path.read_text()[-3000:]
    finally:
        processes.stop(proc)
    text = log_path.read_text(errors="replace")
    assert "WARNING bcbot: setup problem: FAIL slack token: valid for Test, but missing scopes: pins:write — fix: " in text
    assert f"setup problem: FAIL people: not found in Slack: Steve Hunton ({people.HUNTON_EMAIL})" in text
    assert "setup problem: ok" not in text and "FAIL database" not in text
    # SLACK_BOT_TOKEN in the environment: no "`token` will be unused" from Bolt at every start.
    assert "unused" not in text and "will be ignored" not in text, text


def test_serve_with_an_unreachable_database_prints_the_doctors_line_not_a_traceback(fake_slack, tmp_path):
    url = f"postgresql+psycopg://postgres:hunter2pw@127.0.0.1:{free_port()}/x"
    result = subprocess.run([sys.executable, "-m", "bot.tools.cli", "serve", "--http", "--host", "127.0.0.1",
                             "--port", str(free_port())], cwd=tmp_path, env=serve_env(fake_slack, url),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert result.stderr.startswith("bcbot: FAIL database: cannot reach postgresql+psycopg://postgres:***@127.0.0.1:")
    assert "— fix: check DATABASE_URL" in result.stderr
    assert "Traceback" not in output and "hunter2pw" not in output
    assert len(output.strip().splitlines()) == 1, output
    assert not fake_slack.calls  # it stopped before doing anything
    assert list(Path(tmp_path).iterdir()) == []


def test_serve_with_a_missing_database_folder_stops_with_the_doctors_line(fake_slack, tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot.tools.cli", "serve", "--http", "--port", str(free_port())],
                            cwd=tmp_path, env=serve_env(fake_slack, f"sqlite:///{tmp_path}/nope/s.db"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("bcbot: FAIL database: the folder of the database file")
    assert "Traceback" not in result.stdout + result.stderr
