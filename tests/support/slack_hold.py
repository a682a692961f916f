"""Holding one chosen Web API call in the fake Slack, to crash the bot at an exact moment.

`before_work`: the call arrives and waits, Slack has done nothing (the bot committed, Slack is not
reached yet). `after_work`: Slack does the work at once and withholds its reply (the bot never learns
it acted). Either way the call waits until `release()` (a held call not yet done then answers 503 and
does nothing: whoever sent it is dead by then). Each hold catches one call; later calls pass.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Hold:
    method: str
    match: Callable[[dict], bool]
    after_work: bool
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    params: dict | None = None

    def wait(self, timeout: float = 20) -> dict:
        assert self.arrived.wait(timeout), f"no {self.method} call matching the hold arrived in {timeout} s"
        assert self.params is not None
        return self.params

    def release(self) -> None:
        self.released.set()


class SlackHolds:
    """Installed on a FakeSlack (it wraps the fake's request handling); `close()` releases and removes."""

    def __init__(self, fake):
        self.fake = fake
        self._original = fake._handle
        self._lock = threading.Lock()
        self._waiting: list[Hold] = []
        self._all: list[Hold] = []
        fake._handle = self._handle

    def hold(self, method: str, match: Callable[[dict], bool] = lambda params: True, *,
             after_work: bool = False) -> Hold:
        hold = Hold(method, match, after_work)
        with self._lock:
            self._waiting.append(hold)
            self._all.append(hold)
        return hold

    def release_all(self) -> None:
        for hold in self._all:
            hold.release()

    def close(self) -> None:
        self.release_all()
        self.fake._handle = self._original

    def _take(self, method: str, params: dict) -> Hold | None:
        with self._lock:
            for hold in self._waiting:
                if hold.method == method and _safe(hold.match, params):
                    self._waiting.remove(hold)
                    return hold
        return None

    def _handle(self, method: str, params: dict, auth: str):
        hold = self._take(method, params)
        if hold is None:
            return self._original(method, params, auth)
        hold.params = params
        if not hold.after_work:
            hold.arrived.set()
            hold.released.wait(120)
            return 503, {"ok": False, "error": "held"}, {}
        status, body, headers = self.fake._answer(method, params, auth, time.time())
        hold.arrived.set()
        hold.released.wait(120)
        return status, body, headers | {"X-OAuth-Scopes": ",".join(self.fake.scopes)}


def _safe(match: Callable[[dict], bool], params: dict) -> bool:
    try:
        return bool(match(params))
    except Exception:
        return False


def key_of(params_or_message: dict) -> str | None:
    """The bcbot key a post carries in its message metadata."""
    metadata = params_or_message.get("metadata") or {}
    return (metadata.get("event_payload") or {}).get("key") if isinstance(metadata, dict) else None


def post_keyed(prefix: str) -> Callable[[dict], bool]:
    """A chat.postMessage whose key starts with `prefix`."""
    return lambda params: (key_of(params) or "").startswith(prefix)
