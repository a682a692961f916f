"""Socket Mode: the same listeners answer requests that arrive over the socket (no signature there)."""
from __future__ import annotations

from urllib.parse import urlencode

from slack_bolt.request import BoltRequest

from tests.support import people


def test_socket_mode_requests_reach_the_listeners(make_settings, fake_slack):
    from bot.runtime.app import create_app

    app = create_app(make_settings(slack_app_token="xapp-1-A0-1-secret"))
    app.start(scheduler=False)
    try:
        body = urlencode({"command": "/activate", "text": "help", "user_id": people.PARKS, "team_id": "T0BCBOT",
                          "channel_id": "C0GENERAL", "trigger_id": "t", "response_url": fake_slack.response_url})
        over_socket = app.bolt.dispatch(BoltRequest(body=body, mode="socket_mode"))
        assert over_socket.status == 200 and "/activate status" in over_socket.body
        # The same body over HTTP without a valid signature is refused: verification stays on.
        over_http = app.bolt.dispatch(BoltRequest(body=body, headers={"x-slack-request-timestamp": "1"}))
        assert over_http.status == 401
    finally:
        app.stop()


def test_a_socket_mode_start_that_cannot_reach_slack_prints_one_line_with_the_fix(tmp_path):
    import socket
    import subprocess
    import sys

    from tests.tools.test_cli import ROOT
    from tests.tools.test_doctor import serve_env

    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}/api/"
    env = serve_env(type("Fake", (), {"url": unreachable})(), f"sqlite:///{tmp_path}/s.db")
    env |= {"SLACK_APP_TOKEN": "xapp-1-A0-1-secret"}
    result = subprocess.run([sys.executable, "-m", "bot.tools.cli", "serve"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and len(output.strip().splitlines()) == 1, output
    assert output.startswith(f"bcbot: FAIL mode: could not reach Slack at {unreachable}") and "fix: " in output
    assert "Traceback" not in output and "xapp-1-A0-1-secret" not in output
