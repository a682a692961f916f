"""A stand-in for the Slack Web API on loopback, answering the methods bcbot uses as Slack does.

Used by the tests (over real HTTP, through SLACK_API_URL) and by `bcbot demo`. It records every call,
keeps channels, messages, pins, views and uploaded files, and can be told to answer with Slack's errors:
`name_taken`, `users_not_found`, `expired_trigger_id`, HTTP 429 with Retry-After, HTTP 5xx, or slowly.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

JSON_KEYS = ("blocks", "view", "metadata", "attachments")
# Read methods take their arguments as query parameters or a form, never as a JSON body.
FORM_ONLY_METHODS = {"users.info", "users.lookupByEmail", "conversations.history", "chat.getPermalink",
                     "conversations.list", "auth.test"}
# Methods Slack answers only for an app-level (xapp-) token, not the bot token.
APP_TOKEN_METHODS = {"apps.connections.open"}
from bot.slack.api import REQUIRED_SCOPES as DEFAULT_SCOPES  # noqa: E402


@dataclass
class Call:
    method: str
    params: dict
    at: float  # when the fake answered (after any `latency`)
    status: int = 200
    error: str | None = None
    started: float | None = None  # when the request arrived; at - started is how long the call took


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    after_work: bool = False  # Slack did the work, then answered with the error (a 5xx after posting)


@dataclass
class User:
    id: str
    name: str
    email: str | None = None
    team_id: str = "T0BCBOT"


@dataclass
class Channel:
    id: str
    name: str
    topic: str = ""
    members: set = field(default_factory=set)
    is_im: bool = False
    creator: str = "U0SOMEONE"


class FakeSlack:
    def __init__(self, *, token: str = "xoxb-test-token", team_id: str = "T0BCBOT", bot_user_id: str = "U0BCBOT",
                 app_token: str = "xapp-1-test-app-token"):
        self.token = token
        self.app_token = app_token  # the app-level token apps.connections.open accepts
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.latency = 0.0
        self.scopes = list(DEFAULT_SCOPES)  # what x-oauth-scopes says the token has
        self._respond_after: dict[str, float] = {}
        self.calls: list[Call] = []
        self.responses: list[dict] = []  # posts to response_url
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[dict]] = {}
        self.pins: set[tuple[str, str]] = set()
        self.views: dict[str, dict] = {}
        self.ephemerals: list[dict] = []
        self.files: dict[str, dict] = {}  # file ID -> filename, length, content, title, channel
        self._faults: dict[str, list[Fault]] = {}
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # Control -------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, email: str | None = None, team_id: str | None = None) -> None:
        self.users[user_id] = User(user_id, name, email, team_id or self.team_id)

    def add_channel(self, channel_id: str, name: str) -> None:
        self.channels[channel_id] = Channel(channel_id, name)
        self.messages.setdefault(channel_id, [])

    def fail(self, method: str, *, error: str | None = None, status: int = 200, retry_after: int | None = None,
             times: int = 1, after_work: bool = False) -> None:
        """Answer the next `times` calls of `method` with this error (`after_work`: having done it)."""
        with self._lock:
            self._faults.setdefault(method, []).extend(Fault(status, error, retry_after, after_work)
                                                       for _ in range(times))

    def answer_late(self, method: str, seconds: float) -> None:
        """Do `method`'s work at once but answer only after `seconds` (a reply lost in a crash)."""
        self._respond_after[method] = seconds

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200 and c.error is None]

    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    @property
    def response_url(self) -> str:
        return self.url.replace("/api/", "/response/")

    def start(self) -> "FakeSlack":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):  # step 2 of files_upload_v2: the file's bytes
                    status = fake._receive_upload(self.path.removeprefix("/upload/"), data)
                    return self._send(status, {"ok": status == 200})
                raw = data.decode()
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                params = json.loads(raw or "{}") if is_json else dict(parse_qsl(raw))
                method = self.path.removeprefix("/api/").split("?")[0]
                params |= dict(parse_qsl(self.path.partition("?")[2]))
                if is_json and method in FORM_ONLY_METHODS:
                    # Slack reads these methods' arguments from the query string or a form body only:
                    # a JSON body arrives as no arguments at all.
                    params = dict(parse_qsl(self.path.partition("?")[2]))
                for key in JSON_KEYS:
                    if isinstance(params.get(key), str) and params[key][:1] in "[{":
                        params[key] = json.loads(params[key])
                if self.path.startswith("/response/"):
                    with fake._lock:
                        fake.responses.append(params | {"_path": self.path})
                    return self._send(200, {"ok": True})
                status, body, headers = fake._handle(method, params, self.headers.get("Authorization", ""))
                self._send(status, body, headers)

            def do_GET(self):
                method, _, query = self.path.removeprefix("/api/").partition("?")
                status, body, headers = fake._handle(method, dict(parse_qsl(query)), self.headers.get("Authorization", ""))
                self._send(status, body, headers)

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # Behaviour -----------------------------------------------------------------------------
    def _handle(self, method: str, params: dict, auth: str) -> tuple[int, dict, dict]:
        arrived = time.time()
        if self.latency:
            time.sleep(self.latency)
        status, body, headers = self._answer(method, params, auth, arrived)
        if self._respond_after.get(method):
            time.sleep(self._respond_after[method])
        return status, body, headers | {"X-OAuth-Scopes": ",".join(self.scopes)}

    def _answer(self, method: str, params: dict, auth: str, arrived: float | None = None) -> tuple[int, dict, dict]:
        with self._lock:
            call = Call(method, params, time.time(), started=arrived)
            self.calls.append(call)
            queued = self._faults.get(method)
            if queued:
                fault = queued.pop(0)
                call.status, call.error = fault.status, fault.error or f"http_{fault.status}"
                if fault.after_work:
                    handler = getattr(self, "_m_" + method.replace(".", "_"), None)
                    try:
                        handler(params) if handler else None
                    except SlackError:
                        pass
                if fault.status == 429:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after or 1)}
                if fault.status >= 500:
                    return fault.status, {"ok": False, "error": "internal_error"}, {}
                return 200, {"ok": False, "error": fault.error}, {}
            if method in APP_TOKEN_METHODS:
                if auth != f"Bearer {self.app_token}":
                    # The bot token is a valid token of the wrong type; anything else is not a token at all.
                    call.error = "not_allowed_token_type" if auth == f"Bearer {self.token}" else "invalid_auth"
                    return 200, {"ok": False, "error": call.error}, {}
            elif auth != f"Bearer {self.token}":
                call.error = "invalid_auth"
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                call.error = "unknown_method"
                return 200, {"ok": False, "error": "unknown_method"}, {}
            try:
                result = handler(params)
            except SlackError as err:
                call.error = str(err)
                return 200, {"ok": False, "error": str(err)}, {}
            return 200, {"ok": True, **result}, {}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _channel(self, params: dict) -> Channel:
        channel = self.channels.get(params.get("channel", ""))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _m_auth_test(self, p):
        return {"url": "https://bcbot-test.slack.com/", "team": "Test", "user": "bcbot", "team_id": self.team_id,
                "user_id": self.bot_user_id, "bot_id": "B0BCBOT"}

    def _m_apps_connections_open(self, p):
        # A single-use WebSocket URL for Socket Mode (this fake serves no WebSocket behind it).
        return {"url": f"wss://wss-primary.slack.com/link/?ticket=fake-{next(self._ids)}&app_id=A0BCBOT"}

    def _m_views_open(self, p):
        if str(p.get("trigger_id", "")).startswith("expired") or not p.get("trigger_id"):
            raise SlackError("expired_trigger_id")
        return {"view": self._store_view(p["view"])}

    def _m_views_push(self, p):
        return self._m_views_open(p)

    def _m_views_update(self, p):
        if p.get("view_id") not in self.views:
            raise SlackError("not_found")
        if p.get("hash") and p["hash"] != self.views[p["view_id"]]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(p["view"], p["view_id"])}

    def _m_views_publish(self, p):
        if p.get("user_id") not in self.users:
            raise SlackError("user_not_found")
        return {"view": self._store_view(p["view"], f"home-{p['user_id']}")}

    def _store_view(self, view: dict, view_id: str | None = None) -> dict:
        view_id = view_id or f"V{next(self._ids):08d}"
        self.views[view_id] = stored = {**view, "id": view_id, "hash": f"h{next(self._ids)}"}
        _check_view(view)
        return stored

    def _m_conversations_create(self, p):
        name = p.get("name", "")
        if not name or len(name) > 80 or name != name.lower() or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789-_" for c in name):
            raise SlackError("invalid_name_specials")
        if self.channel_by_name(name):
            raise SlackError("name_taken")
        channel_id = f"C{next(self._ids):08d}"
        self.channels[channel_id] = Channel(channel_id, name, members={self.bot_user_id}, creator=self.bot_user_id)
        self.messages[channel_id] = []
        return {"channel": {"id": channel_id, "name": name, "is_channel": True}}

    def _m_conversations_setTopic(self, p):
        channel = self._channel(p)
        if len(p.get("topic", "")) > 250:
            raise SlackError("too_long")
        channel.topic = p.get("topic", "")
        return {"channel": {"id": channel.id, "topic": {"value": channel.topic}}}

    def _m_conversations_invite(self, p):
        channel = self._channel(p)
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("no_user")
        for user in users:
            if user == self.bot_user_id:
                raise SlackError("cant_invite_self")
            if user not in self.users:
                raise SlackError("user_not_found")
        if all(u in channel.members for u in users):
            raise SlackError("already_in_channel")
        channel.members.update(users)
        return {"channel": {"id": channel.id}}

    def _m_conversations_open(self, p):
        user = str(p.get("users", ""))
        if user not in self.users:
            raise SlackError("user_not_found")
        channel_id = "D" + user[1:]
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(channel_id, user, members={user, self.bot_user_id}, is_im=True)
            self.messages[channel_id] = []
        return {"channel": {"id": channel_id}}

    def _m_conversations_list(self, p):
        channels = [c for c in self.channels.values() if not c.is_im]
        start = int(p.get("cursor") or 0)
        limit = int(p.get("limit") or 100)
        page = channels[start:start + limit]
        more = start + limit < len(channels)
        return {"channels": [{"id": c.id, "name": c.name, "creator": c.creator, "is_channel": True} for c in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_conversations_history(self, p):
        messages = list(reversed(self.messages.get(self._channel(p).id, [])))
        if not p.get("include_all_metadata"):
            messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return {"messages": messages[: int(p.get("limit", 100))], "has_more": False}

    def _m_chat_postMessage(self, p):
        channel_id = p.get("channel", "")
        if channel_id in self.users:  # posting to a user ID goes to the DM with the app
            channel_id = self._m_conversations_open({"users": channel_id})["channel"]["id"]
        channel = self._channel({"channel": channel_id})
        if not channel.is_im and self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        _check_message(p)
        message = {"type": "message", "ts": self._next_ts(), "text": p.get("text", ""), "blocks": p.get("blocks", []),
                   "user": self.bot_user_id}
        if p.get("metadata"):
            message["metadata"] = p["metadata"]
        self.messages[channel.id].append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _m_chat_update(self, p):
        channel = self._channel(p)
        message = next((m for m in self.messages[channel.id] if m["ts"] == p.get("ts")), None)
        if message is None:
            raise SlackError("message_not_found")
        _check_message(p)
        message.update(text=p.get("text", ""), blocks=p.get("blocks", []))
        return {"channel": channel.id, "ts": message["ts"]}

    def _m_chat_postEphemeral(self, p):
        self._channel(p)
        if p.get("user") not in self.users:
            raise SlackError("user_not_in_channel")
        _check_message(p)
        self.ephemerals.append(p)
        return {"message_ts": self._next_ts()}

    def _m_chat_getPermalink(self, p):
        channel = self._channel(p)
        return {"permalink": f"https://bcbot-test.slack.com/archives/{channel.id}/p{p.get('message_ts', '').replace('.', '')}"}

    def _m_pins_add(self, p):
        channel = self._channel(p)
        key = (channel.id, p.get("timestamp"))
        if key in self.pins:
            raise SlackError("already_pinned")
        self.pins.add(key)
        return {}

    def _m_users_lookupByEmail(self, p):
        if not p.get("email"):
            raise SlackError("invalid_arguments")
        user = next((u for u in self.users.values() if u.email and u.email == p.get("email")), None)
        if user is None:
            raise SlackError("users_not_found")
        return {"user": {"id": user.id, "name": user.name, "team_id": user.team_id}}

    def _m_files_getUploadURLExternal(self, p):
        filename, length = p.get("filename"), str(p.get("length", ""))
        if not filename or not length.isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = {"id": file_id, "filename": filename, "length": int(length), "content": None}
        return {"upload_url": self.url.replace("/api/", f"/upload/{file_id}"), "file_id": file_id}

    def _receive_upload(self, file_id: str, data: bytes) -> int:
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "bytes": len(data)}, time.time()))
            upload = self.files.get(file_id)
            if upload is None:
                return 404
            upload["content"] = data
            return 200

    def _m_files_completeUploadExternal(self, p):
        files = json.loads(p["files"]) if isinstance(p.get("files"), str) else p.get("files") or []
        if not files:
            raise SlackError("invalid_arguments")
        for f in files:
            upload = self.files.get(f.get("id", ""))
            if upload is None or upload["content"] is None or len(upload["content"]) != upload["length"]:
                raise SlackError("file_not_found")
        channel = None
        if p.get("channel_id"):
            channel = self._channel({"channel": p["channel_id"]})
            if not channel.is_im and self.bot_user_id not in channel.members:
                raise SlackError("not_in_channel")
        shared = []
        for f in files:
            upload = self.files[f["id"]]
            upload.update(title=f.get("title") or upload["filename"], channel=channel.id if channel else None,
                          initial_comment=p.get("initial_comment"))
            shared.append({"id": upload["id"], "name": upload["filename"], "title": upload["title"]})
        if channel is not None:
            self.messages[channel.id].append({"type": "message", "ts": self._next_ts(), "user": self.bot_user_id,
                                              "text": p.get("initial_comment") or "", "files": shared})
        return {"files": shared}

    def _m_users_info(self, p):
        user = self.users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": {"id": user.id, "name": user.name, "real_name": user.name, "tz": "Europe/London",
                         "team_id": user.team_id}}


class SlackError(Exception):
    pass


def _check_message(p: dict) -> None:
    """Slack's own limits: a message over them is rejected with invalid_blocks / msg_too_long."""
    if len(p.get("text") or "") > 40_000:
        raise SlackError("msg_too_long")
    blocks = p.get("blocks") or []
    if len(blocks) > 50:
        raise SlackError("invalid_blocks")
    _check_blocks(blocks)


def _check_view(view: dict) -> None:
    if len(view.get("blocks", [])) > 100 or len(view.get("private_metadata", "")) > 3000:
        raise SlackError("invalid_arguments")
    if len(view.get("title", {}).get("text", "")) > 24:
        raise SlackError("invalid_arguments")
    _check_blocks(view.get("blocks", []))


def _check_blocks(blocks: list) -> None:
    for block in blocks:
        text = block.get("text") or {}
        if block.get("type") == "header" and len(text.get("text", "")) > 150:
            raise SlackError("invalid_blocks")
        if block.get("type") == "section":
            if len(text.get("text", "")) > 3000 or len(block.get("fields", [])) > 10:
                raise SlackError("invalid_blocks")
        if block.get("type") == "context" and len(block.get("elements", [])) > 10:
            raise SlackError("invalid_blocks")
        if block.get("type") == "actions" and len(block.get("elements", [])) > 25:
            raise SlackError("invalid_blocks")
        for element in [block.get("accessory") or {}, *block.get("elements", []), block.get("element") or {}]:
            if len(element.get("action_id", "")) > 255 or len(str(element.get("value", ""))) > 2000:
                raise SlackError("invalid_blocks")
            if len(element.get("options", [])) > 100:
                raise SlackError("invalid_blocks")
            for option in element.get("options", []):
                if len(option.get("text", {}).get("text", "")) > 75 or len(option.get("value", "")) > 150:
                    raise SlackError("invalid_blocks")


# Requests the way Slack sends them ----------------------------------------------------------
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
                     selected: str | None = None, **kw) -> Reply:
        action = {"action_id": action_id, "block_id": "b", "type": "button", "action_ts": str(time.time())}
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




# What a person would see ---------------------------------------------------------------------
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")


def readable(fake: FakeSlack, message: dict) -> str:
    """A posted message or view as plain text: mentions by name, buttons in brackets."""

    def words(text: str) -> str:
        def user(m: re.Match) -> str:
            return "@" + (fake.users[m.group(1)].name if m.group(1) in fake.users else m.group(1))

        def channel(m: re.Match) -> str:
            return "#" + (fake.channels[m.group(1)].name if m.group(1) in fake.channels else m.group(1))

        text = re.sub(r"<@([UW][A-Z0-9]+)>", user, text)
        text = re.sub(r"<#([CGD][A-Z0-9]+)>", channel, text)
        text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", _DATE.sub(r"\1", text))
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def element(e: dict) -> str:
        kind = e.get("type")
        if kind == "button":
            return f"[{e['text']['text']}]"
        if kind == "users_select":
            return "[Assign ▾]"
        if kind == "overflow":
            return "[⋯ " + " / ".join(o["text"]["text"] for o in e.get("options", [])) + "]"
        return f"[{kind}]"

    lines = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            if block.get("text"):
                lines.append(words(block["text"]["text"]))
            for f in block.get("fields", []):
                lines.append("  " + words(f["text"]).replace("\n", ": ", 1))
            if block.get("accessory"):
                lines.append("  " + element(block["accessory"]))
        elif kind == "context":
            lines.append("  (" + " · ".join(words(e.get("text", "")) for e in block.get("elements", [])) + ")")
        elif kind == "actions":
            lines.append("  " + " ".join(element(e) for e in block.get("elements", [])))
        elif kind == "input":
            lines.append(f"  {block['label']['text']}: ____")
        elif kind == "divider":
            lines.append("  ---")
    if not lines and message.get("text"):
        lines.append(words(message["text"]))
    for attached in message.get("files") or []:
        lines.append(f"📎 {attached.get('title') or attached.get('name')}")
    return "\n".join(lines)
