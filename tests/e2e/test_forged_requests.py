"""Requests that are not Slack's: a malformed, missing, stale or forged signature is a 401 before anything
else runs (no Slack call, no DM, no log traceback). And a bot that could not learn its workspace at start
(auth.test failing) refuses every request with words until it has, and says so on /healthz."""
from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

import pytest

from storage import models
from tests.e2e.helpers import rows
from tests.support import people
from tests.support.secrets import SIGNING_SECRET
from tests.support.slack_requests import TEAM_ID, sign

GUEST, GUEST_TEAM = "U0GUEST001", "T0PARTNER"


def click_body(user: str, *, team: str = TEAM_ID, user_team: str | None = None, response: str = "forged") -> str:
    from urllib.parse import urlencode

    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": user, "team_id": user_team or team},
               "trigger_id": "t-forged", "api_app_id": "A0BCBOT", "response_url": "http://127.0.0.1:9/" + response,
               "actions": [{"action_id": "bcbot.step.done", "block_id": "b", "value": json.dumps({"s": 1}),
                            "action_ts": "1.1"}]}
    return urlencode({"payload": json.dumps(payload)})


def raw_post(running, body: str, headers: dict) -> int:
    request = urllib.request.Request(running.url + "/slack/events", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def forged_headers(body: str) -> list[tuple[str, dict]]:
    now = str(int(time.time()))
    good = sign(SIGNING_SECRET, now, body)
    return [
        ("non-numeric timestamp", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": good}),
        ("float timestamp", {"X-Slack-Request-Timestamp": now + ".5", "X-Slack-Signature": sign(SIGNING_SECRET, now + ".5", body)}),
        ("negative timestamp", {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": sign(SIGNING_SECRET, "-1", body)}),
        ("huge timestamp", {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": good}),
        ("empty timestamp", {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": good}),
        ("no timestamp", {"X-Slack-Signature": good}),
        ("no signature", {"X-Slack-Request-Timestamp": now}),
        ("no headers", {}),
        ("empty signature", {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": ""}),
        ("wrong secret", {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign("not-the-secret", now, body)}),
        ("signature of another body", {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign(SIGNING_SECRET, now, body + "x")}),
        ("stale", {"X-Slack-Request-Timestamp": str(int(time.time()) - 600),
                   "X-Slack-Signature": sign(SIGNING_SECRET, str(int(time.time()) - 600), body)}),
        ("from the future", {"X-Slack-Request-Timestamp": str(int(time.time()) + 600),
                             "X-Slack-Signature": sign(SIGNING_SECRET, str(int(time.time()) + 600), body)}),
        ("superscript digits", {"X-Slack-Request-Timestamp": "¹²³", "X-Slack-Signature": good}),
        ("not v0", {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": good.replace("v0=", "v1=")}),
    ]


@pytest.mark.parametrize("case", [name for name, _ in forged_headers("")])
def test_a_request_without_a_valid_signature_is_a_401_and_nothing_else(running, caplog, case):
    body = click_body(people.PARKS)
    headers = dict(forged_headers(body))[case]
    calls, responses = len(running.fake.calls), len(running.fake.responses)
    with caplog.at_level(logging.INFO):
        status = raw_post(running, body, headers)
        running.settle()
    assert status == 401
    assert running.fake.calls[calls:] == [] and running.fake.responses[responses:] == []  # no Slack call, no DM
    assert rows(running, models.Intent) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("unsigned request" in r.getMessage() for r in caplog.records)


@pytest.fixture
def slack_down_at_start(fake_slack, start_app):
    fake_slack.fail("auth.test", status=500, times=1000)  # a Slack blip as the bot starts
    running = start_app()
    yield running
    fake_slack._faults.pop("auth.test", None)


def health(running) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(running.url + "/healthz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_until_slack_names_the_workspace_every_request_is_refused_with_words(slack_down_at_start):
    running = slack_down_at_start
    status, body = health(running)
    assert status == 503 and body["slack"].startswith("workspace not known yet")
    reply = running.slack.command(people.PARKS, "status")
    assert reply.status == 200 and "cannot yet confirm its Slack workspace" in reply.json()["text"]
    # A Slack Connect guest from another organisation: refused, not served unchecked.
    guest = {"type": "block_actions", "team": {"id": TEAM_ID}, "is_ext_shared_channel": True,
             "user": {"id": GUEST, "team_id": GUEST_TEAM}, "trigger_id": "t-g", "api_app_id": "A0BCBOT",
             "response_url": running.fake.response_url + "guest",
             "actions": [{"action_id": "bcbot.step.done", "block_id": "b", "value": json.dumps({"s": 1}),
                          "action_ts": "2.2"}]}
    assert running.slack.interactive(guest).status == 200
    running.settle()
    assert rows(running, models.Intent) == []
    assert any("cannot yet confirm" in r.get("text", "") for r in running.fake.responses)
    event = running.slack.event({"type": "app_home_opened", "user": people.PARKS, "tab": "home"}, event_id="EvWAIT1")
    assert event.status == 503  # Slack sends it again later
    assert not running.fake.calls_to("views.publish")


def test_once_auth_test_answers_the_bot_serves(slack_down_at_start, monkeypatch):
    running = slack_down_at_start
    running.fake._faults.pop("auth.test", None)
    deadline = time.monotonic() + 10
    while running.bot.team_id is None and time.monotonic() < deadline:  # retried with a growing pause
        time.sleep(0.1)
    assert running.bot.team_id == TEAM_ID
    assert health(running)[0] == 200
    assert "No open incidents" in running.slack.command(people.PARKS, "status").json()["text"]
    guest = running.slack.command(GUEST, "status", team=GUEST_TEAM)
    assert "another Slack workspace" in guest.json()["text"]


def test_a_request_from_another_enterprise_is_refused(running):
    from urllib.parse import urlencode

    form = {"team_id": TEAM_ID, "enterprise_id": "E0OTHER", "user_id": people.PARKS, "command": "/activate",
            "text": "status", "channel_id": "C0GENERAL", "trigger_id": "t-e", "response_url": running.fake.response_url}
    reply = running.slack.post(urlencode(form), "application/x-www-form-urlencoded")
    assert "another Slack workspace" in reply.json()["text"]
