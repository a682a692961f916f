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
