"""Requests the way Slack sends them to a bcbot: signed form and JSON bodies for commands, actions, views and events."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

TEAM_ID = "T0BCBOT"


@dataclass
class Reply:
    status: int
    body: str
    elapsed: float

    def json(self):
        return json.loads(self.body)


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    """Posts to a bcbot's /slack/events as Slack does: form bodies, signatures, timestamps."""

    def __init__(self, base_url: str, signing_secret: str, response_url: str):
        self.base_url = base_url
        self.secret = signing_secret
        self.response_url = response_url
        self._trigger = 0

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str | None = None,
             headers: dict | None = None, path: str = "/slack/events") -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        request = urllib.request.Request(self.base_url + path, data=body.encode(), method="POST", headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(secret or self.secret, ts, body),
            **(headers or {}),
        })
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return Reply(r.status, r.read().decode(), time.perf_counter() - started)
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.read().decode(), time.perf_counter() - started)

    def trigger_id(self) -> str:
        self._trigger += 1
        return f"trigger-{self._trigger}"

    def command(self, user: str, text: str = "", *, channel: str = "C0GENERAL", team: str = TEAM_ID, **kw) -> Reply:
        form = {"token": "unused", "team_id": team, "team_domain": "test", "channel_id": channel,
                "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/activate",
                "text": text, "api_app_id": "A0BCBOT", "response_url": self.response_url + "cmd",
                "trigger_id": kw.pop("trigger_id", None) or self.trigger_id()}
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def interactive(self, payload: dict, **kw) -> Reply:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)

    def block_action(self, user: str, action_id: str, value: str | None = None, *, channel: str | None = None,
                     message_ts: str | None = None, view: dict | None = None, team: str = TEAM_ID,
                     selected: str | None = None, action_ts: str | None = None, **kw) -> Reply:
        """A click; the same `action_ts` is the same click delivered again."""
        action: dict = {"action_id": action_id, "block_id": "b", "type": "button",
                        "action_ts": action_ts or str(time.time())}
        if value is not None:
            action["value"] = value
        if selected is not None:
            option = {"value": selected, "text": {"type": "plain_text", "text": selected}}
            action = {**action, "type": "static_select", "selected_option": option}
        payload = {"type": "block_actions", "team": {"id": team, "domain": "test"},
                   "user": {"id": user, "username": user.lower(), "team_id": team},
                   "api_app_id": "A0BCBOT", "trigger_id": self.trigger_id(), "actions": [action]}
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id")}
        else:
            payload["channel"] = {"id": channel or "C0GENERAL", "name": "x"}
            payload["container"] = {"type": "message", "message_ts": message_ts or "1.1", "channel_id": channel}
            payload["message"] = {"ts": message_ts or "1.1", "text": ""}
            payload["response_url"] = self.response_url + f"act-{user}"
        return self.interactive(payload, **kw)

    def view_submission(self, user: str, view: dict, *, team: str = TEAM_ID, **kw) -> Reply:
        payload = {"type": "view_submission", "team": {"id": team, "domain": "test"},
                   "user": {"id": user, "username": user.lower(), "team_id": team}, "api_app_id": "A0BCBOT",
                   "trigger_id": self.trigger_id(), "view": view}
        return self.interactive(payload, **kw)

    def event(self, event: dict, *, event_id: str, team: str = TEAM_ID, headers: dict | None = None, **kw) -> Reply:
        body = {"token": "unused", "team_id": team, "api_app_id": "A0BCBOT", "event": event, "type": "event_callback",
                "event_id": event_id, "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "U0BCBOT", "is_bot": True}]}
        return self.post(json.dumps(body), "application/json", headers=headers, **kw)
