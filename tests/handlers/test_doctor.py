"""`bcbot doctor`: one line per check, a fix for each failure, non-zero exit on any."""
from __future__ import annotations

import yaml

from bot.doctor import run_checks
from bot.slack_api import REQUIRED_SCOPES
from tests.handlers.test_cli import ROOT, bcbot
from tests.support import people


def test_the_manifest_asks_for_the_scopes_the_doctor_checks():
    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(REQUIRED_SCOPES)


def test_a_healthy_setup_passes_every_check(make_settings, fake_slack):
    from bot.app import create_app

    settings = make_settings()
    create_app(settings).start(scheduler=False)  # migrates the database
    lines = [c for c in run_checks(settings)]
    assert [c.name for c in lines] == ["settings", "plans", "database", "mode", "slack token", "people"]
    assert all(c.ok for c in lines), [c.line() for c in lines]


def test_failures_say_what_is_wrong_and_how_to_fix_it(make_settings, fake_slack):
    fake_slack.scopes = [s for s in REQUIRED_SCOPES if s != "pins:write"]
    del fake_slack.users[people.BAKER]  # a team member who is not in the workspace
    settings = make_settings(slack_signing_secret=None)
    checks = {c.name: c for c in run_checks(settings)}
    assert not checks["database"].ok and "bcbot db upgrade" in checks["database"].fix
    assert not checks["mode"].ok and "SLACK_SIGNING_SECRET" in checks["mode"].line()
    assert not checks["slack token"].ok and "pins:write" in checks["slack token"].detail
    assert not checks["people"].ok and "Joe Baker" in checks["people"].detail and "fix:" in checks["people"].line()


def test_bad_token_is_reported(make_settings, fake_slack):
    checks = {c.name: c for c in run_checks(make_settings(slack_bot_token="xoxb-wrong"))}
    assert not checks["slack token"].ok and "invalid_auth" in checks["slack token"].detail
    assert "people" not in checks


def test_doctor_command_exits_non_zero_on_any_failure(tmp_path, fake_slack):
    result = bcbot("doctor", env={"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake_slack.url,
                                  "DATABASE_URL": f"sqlite:///{tmp_path}/d.db"})
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("ok   settings") and any(l.startswith("FAIL database") for l in lines)
    assert "xoxb-test-token" not in result.stdout + result.stderr
