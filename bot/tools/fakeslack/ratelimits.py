"""Slack's per-method rate limits, enforced when a test asks (`FakeSlack.enforce_rate_limits`): a call over
its budget is answered HTTP 429 with Retry-After, as Slack does, and does nothing.

chat.postMessage: about one a second per channel (a short burst allowed) and several hundred a minute per
workspace; chat.update: tier 3, about 50 a minute; users.list: tier 2, about 20 a minute."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    calls: int
    seconds: float


@dataclass
class RateLimits:
    per_channel: dict[str, Budget] = field(default_factory=dict)  # method -> budget per channel
    per_workspace: dict[str, Budget] = field(default_factory=dict)  # method -> budget for the workspace
    _seen: dict[tuple[str, str], deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refused: int = 0  # calls answered 429

    def check(self, method: str, channel: str | None, now: float | None = None) -> float | None:
        """None if the call is within its budgets (and counts it); else the Retry-After, in whole seconds."""
        now = time.monotonic() if now is None else now
        keys: list[tuple[tuple[str, str], Budget]] = []
        if method in self.per_workspace:
            keys.append(((method, "*"), self.per_workspace[method]))
        if method in self.per_channel and channel:
            keys.append(((method, channel), self.per_channel[method]))
        with self._lock:
            wait = 0.0
            for key, budget in keys:
                seen = self._seen.setdefault(key, deque())
                while seen and seen[0] <= now - budget.seconds:
                    seen.popleft()
                if len(seen) >= budget.calls:
                    wait = max(wait, seen[0] + budget.seconds - now)
            if wait > 0:
                self.refused += 1
                return float(max(1, math.ceil(wait)))
            for key, _ in keys:
                self._seen[key].append(now)
        return None


def slack_like(*, post_per_channel: Budget = Budget(3, 3.0), post_per_workspace: Budget = Budget(600, 60.0),
               update_per_workspace: Budget = Budget(50, 60.0), users_list: Budget = Budget(20, 60.0)) -> RateLimits:
    """Slack's stated limits: chat.postMessage ~1/s per channel (bursts of 3), several hundred a minute per
    workspace; chat.update ~50 a minute; users.list ~20 a minute."""
    return RateLimits(per_channel={"chat.postMessage": post_per_channel},
                      per_workspace={"chat.postMessage": post_per_workspace, "chat.update": update_per_workspace,
                                     "users.list": users_list})
