"""The fake Slack itself: the workspace it keeps, the controls the tests use, and how it answers a call."""
from __future__ import annotations

import itertools
import threading
import time
from http.server import ThreadingHTTPServer

from bot.slack.api import REQUIRED_SCOPES as DEFAULT_SCOPES
from bot.tools.fakeslack.live import live_tokens
from bot.tools.fakeslack.methods import SlackMethods
from bot.tools.fakeslack.model import Call, Channel, Fault, SlackError, User
from bot.tools.fakeslack.ratelimits import RateLimits, slack_like
from bot.tools.fakeslack.server import serve

# Methods Slack answers only for an app-level (xapp-) token, not the bot token.
APP_TOKEN_METHODS = {"apps.connections.open"}


class FakeSlack(SlackMethods):
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
        self._forbidden: tuple[str, ...] = ()  # tokens a test injected (forbid_live)
        self.live: list[str] = []  # where one of them reached Slack live
        self.down: int | None = None  # an outage: every call answered with this HTTP status until cleared
        self._unreachable: str | None = None  # an outage where Slack does not answer at all (see unreachable)
        self._reachable = threading.Event()
        self._reachable.set()
        self.rate_limits: RateLimits | None = None  # Slack's per-method limits, when a test asks for them
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    # Control -------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, email: str | None = None, team_id: str | None = None) -> None:
        self.users[user_id] = User(user_id, name, email, team_id or self.team_id)

    def add_channel(self, channel_id: str, name: str) -> None:
        self.channels[channel_id] = Channel(channel_id, name)
        self.messages.setdefault(channel_id, [])

    def archive(self, channel_id: str, archived: bool = True) -> None:
        """Someone archives the channel (or, with False, unarchives it): Slack answers `is_archived` to changes."""
        with self._lock:
            self.channels[channel_id].archived = archived

    def remove_bot(self, channel_id: str) -> None:
        """Someone removes bcbot from the channel: Slack answers `not_in_channel`."""
        with self._lock:
            self.channels[channel_id].members.discard(self.bot_user_id)

    def delete_channel(self, channel_id: str) -> None:
        """Someone deletes the channel: Slack answers `channel_not_found`, and its messages are gone."""
        with self._lock:
            self.channels.pop(channel_id, None)
            self.messages.pop(channel_id, None)

    def fail(self, method: str, *, error: str | None = None, status: int = 200, retry_after: int | None = None,
             times: int = 1, after_work: bool = False) -> None:
        """Answer the next `times` calls of `method` with this error (`after_work`: having done it)."""
        with self._lock:
            self._faults.setdefault(method, []).extend(Fault(status, error, retry_after, after_work)
                                                       for _ in range(times))

    def enforce_rate_limits(self, limits: RateLimits | None = None) -> RateLimits:
        """From now on answer calls over Slack's per-method limits with 429 and Retry-After (ratelimits)."""
        self.rate_limits = limits or slack_like()
        return self.rate_limits

    def forbid_live(self, *tokens: str) -> None:
        """Look for these injected tokens (`<!channel>`, `<@U0EVIL>`, `<https://evil|click>`) in everything
        sent from now on, wherever Slack would make them live (bot.tools.fakeslack.live); each find is in `live`."""
        with self._lock:
            self._forbidden = tuple(dict.fromkeys((*self._forbidden, *tokens)))

    def look(self, method: str, params: dict) -> list[str]:
        """Record (in `live`) and return where a forbidden token is live in what was sent: every call the
        fake receives passes here; a test passes bcbot's HTTP replies (an ack's text, a view it answered with)."""
        found = live_tokens(method, params, self._forbidden) if self._forbidden else []
        if found:
            with self._lock:
                self.live.extend(found)
        return found

    def assert_nothing_live(self) -> None:
        assert not self.live, f"{len(self.live)} injected tokens reached Slack live:\n" + "\n".join(self.live[:60])

    def answer_late(self, method: str, seconds: float) -> None:
        """Do `method`'s work at once but answer only after `seconds` (a reply lost in a crash)."""
        self._respond_after[method] = seconds

    def unreachable(self, how: str | None) -> None:
        """An outage where Slack does not answer at all: "refused" stops accepting connections (the port is
        closed), "silent" takes every request and never answers (the caller times out); None ends it."""
        assert how in (None, "refused", "silent"), how
        with self._lock:
            was, self._unreachable = self._unreachable, how
            if how == "silent":
                self._reachable.clear()
            else:
                self._reachable.set()  # requests held silent are dropped unanswered
            if was != "refused" and how == "refused" and self._server is not None:
                self._port = self._server.server_address[1]
                self._server.shutdown()
                self._server.server_close()
                self._server = None
            elif was == "refused" and how != "refused":
                self._server = serve(self, self._port)  # the same address: clients keep theirs

    def _silent(self) -> bool:
        """Whether this request is never answered (held until the silence ends, then dropped)."""
        if self._reachable.is_set():
            return False
        self._reachable.wait(120)
        return True

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200 and c.error is None]

    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    @property
    def url(self) -> str:
        if self._server is None:  # refusing connections: the address it had
            return f"http://127.0.0.1:{self._port}/api/"
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # bound to a host given as text
        return f"http://{host}:{port}/api/"

    @property
    def response_url(self) -> str:
        return self.url.replace("/api/", "/response/")

    def start(self) -> "FakeSlack":
        self._server = serve(self)
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
            self.look(method, params)
            if self.down is not None:
                call.status, call.error = self.down, f"http_{self.down}"
                return self.down, {"ok": False, "error": "service_unavailable"}, {}
            limits = self.rate_limits
            if limits is not None:
                channel = params.get("channel")
                wait = limits.check(method, channel if isinstance(channel, str) else None)
                if wait is not None:
                    call.status, call.error = 429, "ratelimited"
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(wait))}
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
