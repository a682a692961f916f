"""Paced Slack calls (the roll call's): a 429 pauses that method for every thread of the process for
Retry-After and raises RateLimited at once, so the outbox reschedules the task and no thread sleeps on it."""
from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import RateLimited, SlackRefused, SlackUnavailable

log = logging.getLogger("bcbot.slack")
METADATA_EVENT = "bcbot_post"


class PacedCalls:
    """Mixed into SlackApi: `paced_client` has no retry handler at all (the outbox retries)."""

    paced_client: WebClient
    _pauses: dict[str, float]  # method -> time.monotonic() until which Slack asked us to wait
    _pauses_lock: threading.Lock

    def paused_for(self, method: str) -> float:
        """Seconds `method` is still paused after a 429 (0: not paused)."""
        with self._pauses_lock:
            return max(self._pauses.get(method, 0.0) - time.monotonic(), 0.0)

    def _paced(self, method: str, **kwargs) -> dict:
        wait = self.paused_for(method)
        if wait > 0:
            raise RateLimited(method, wait)
        try:
            return getattr(self.paced_client, method.replace(".", "_"))(**kwargs).data
        except SlackApiError as err:
            if err.response is not None and err.response.status_code == 429:
                retry_after = _retry_after(err.response.headers)
                with self._pauses_lock:
                    until = time.monotonic() + retry_after
                    self._pauses[method] = max(self._pauses.get(method, 0.0), until)
                log.info("Slack rate-limited %s: paused for %.0f s", method, retry_after)
                raise RateLimited(method, retry_after) from err
            code = err.response.get("error", "unknown_error") if err.response is not None else "unknown_error"
            log.warning("Slack %s failed: %s", method, code)
            raise refusal(f"Slack refused {method}: {code}", err, code, kwargs.get("channel")) from err
        except Exception as err:
            log.warning("Slack %s failed: %s", method, type(err).__name__)
            raise SlackUnavailable(f"Slack could not be reached for {method}") from err

    def paced_post(self, channel: str, key: str, *, text: str, blocks: list | None = None,
                   look_in: str | None = None) -> tuple[str, str]:
        """Post with `key` in the metadata to a channel or a user ID (the app's DM: no conversations.open);
        (channel, ts) from Slack's answer. `look_in`: the channel an earlier attempt may have posted in (an
        uncertain retry), looked at first."""
        if look_in:
            found = self._paced_find(look_in, key)
            if found:
                return look_in, found
        kwargs: dict = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False,
                        "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": key}}}
        if blocks:
            kwargs["blocks"] = blocks
        data = self._paced("chat.postMessage", **kwargs)
        return data.get("channel") or channel, data["ts"]

    def _paced_find(self, channel: str, key: str) -> str | None:
        data = self._paced("conversations.history", channel=channel, limit=200, include_all_metadata=True)
        for message in data.get("messages", []):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return message["ts"]
        return None

    def paced_update(self, channel: str, ts: str, *, text: str, blocks: list | None = None) -> None:
        self._paced("chat.update", channel=channel, ts=ts, text=text, blocks=blocks or [])

    def paced_open_dm(self, user: str) -> str:
        """conversations.open: only for an uncertain retry to someone never posted to before."""
        return self._paced("conversations.open", users=user)["channel"]["id"]

    def users_by_email(self) -> dict[str, str]:
        """Every member's email (lower-cased) -> user ID: one paged users.list sweep (tier 2)."""
        found: dict[str, str] = {}
        cursor = None
        for _ in range(200):  # at most 200,000 members
            kwargs: dict = {"limit": 1000}
            if cursor:
                kwargs["cursor"] = cursor
            data = self._paced("users.list", **kwargs)
            for member in data.get("members", []):
                email = ((member.get("profile") or {}).get("email") or "").lower()
                if email and not member.get("deleted") and isinstance(member.get("id"), str):
                    found[email] = member["id"]
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found


def _retry_after(headers) -> float:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return min(max(float(str(value)), 0.5), 300.0)
    except (TypeError, ValueError):
        return 1.0


def refusal(message: str, err: SlackApiError, code: str, channel: object) -> SlackUnavailable:
    """Slack's answer, as an error: a refusal (SlackRefused, with its code) when Slack answered the call itself
    (HTTP 200 with ok: false, or a 4xx other than 429); a 5xx or a rate limit is Slack being away."""
    status = getattr(err.response, "status_code", 200) or 200
    if status >= 500 or status == 429 or code in ("ratelimited", "internal_error", "fatal_error", "service_unavailable",
                                                  "request_timeout"):
        return SlackUnavailable(message)
    return SlackRefused(message, code=code, channel=channel if isinstance(channel, str) else None)


