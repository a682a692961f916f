"""The Slack Web API as bcbot uses it: one thin adapter over slack_sdk's WebClient.

Rate limits (HTTP 429 + Retry-After), 5xx answers and dropped connections are retried by
slack_sdk's own retry handlers; a call that still fails is logged with Slack's error code. The roll call's
calls are *paced* instead (`paced_*`): a 429 pauses that method for every thread of the process for
Retry-After and raises RateLimited at once, so the outbox reschedules the task and no thread sleeps on it.
"""
from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.domain.errors import SlackRefused, SlackUnavailable
from bot.slack.paced import METADATA_EVENT, PacedCalls, refusal

log = logging.getLogger("bcbot.slack")
# The bot scopes slack-app-manifest.yml asks for (a test keeps the two the same).
REQUIRED_SCOPES = ("channels:manage", "channels:read", "channels:history", "groups:write",
                   "groups:read", "groups:history", "chat:write", "commands", "im:write",
                   "im:history", "pins:write", "users:read", "users:read.email", "files:write")


class NameTaken(Exception):
    pass


# Calls that create something: after a 5xx or a dropped connection Slack may have done it, so
# slack_sdk must not resend them blindly. The outbox retries them, looking for the post first.
NOT_IDEMPOTENT = {"chat.postMessage", "conversations.create", "chat.postEphemeral"}


def make_client(*, token: str | None, base_url: str, timeout: int = 15) -> WebClient:
    """A client retrying rate limits (HTTP 429 + Retry-After), server errors and dropped connections."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
    ])


class SlackApi(PacedCalls):
    def __init__(self, client: WebClient):
        self.client = client
        # The same client, retrying only what cannot double a post or a channel.
        self.once_client = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                                     retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)])
        # No retry handler at all: a 429 pauses the method (below); the outbox retries everything else.
        self.paced_client = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                                      retry_handlers=[])
        self._pauses: dict[str, float] = {}  # method -> time.monotonic() until which Slack asked us to wait
        self._pauses_lock = threading.Lock()

    def _call(self, method: str, **kwargs) -> dict:
        client = self.once_client if method in NOT_IDEMPOTENT else self.client
        try:
            # The typed method sends each call as Slack expects it (JSON, a form, or a GET query).
            return getattr(client, method.replace(".", "_"))(**kwargs).data
        except SlackApiError as err:
            code = err.response.get("error", "unknown_error") if err.response is not None else "unknown_error"
            log.warning("Slack %s failed: %s", method, code)
            raise refusal(f"Slack refused {method}: {code}", err, code, kwargs.get("channel")) from err
        except Exception as err:  # network errors after retries
            log.warning("Slack %s failed: %s", method, type(err).__name__)
            raise SlackUnavailable(f"Slack could not be reached for {method}") from err

    def _error_code(self, err: SlackUnavailable) -> str:
        cause = err.__cause__
        if isinstance(cause, SlackApiError) and cause.response is not None:
            return cause.response.get("error", "")
        return ""

    def auth_test(self) -> dict:
        return self._call("auth.test")

    def granted_scopes(self) -> set[str]:
        """The token's scopes, from the x-oauth-scopes header Slack sends with every answer."""
        try:
            response = self.client.auth_test()
        except SlackApiError as err:
            raise SlackUnavailable(f"Slack refused auth.test: {err.response.get('error', 'unknown_error')}") from err
        header = next((v for k, v in response.headers.items() if k.lower() == "x-oauth-scopes"), "")
        return {s.strip() for s in header.split(",") if s.strip()}

    def real_name(self, user_id: str) -> str | None:
        """The person's name in Slack (users.info: real name, else display name, else handle); None if Slack
        does not know them."""
        try:
            user = self._call("users.info", user=user_id)["user"]
        except SlackUnavailable as err:
            if self._error_code(err) in ("user_not_found", "users_not_found"):
                return None
            raise
        profile = user.get("profile") or {}
        for name in (profile.get("real_name"), user.get("real_name"), profile.get("display_name"), user.get("name")):
            if isinstance(name, str) and name.strip():
                return name.strip()
        return None

    def user_exists(self, user_id: str) -> bool:
        try:
            self._call("users.info", user=user_id)
            return True
        except SlackUnavailable as err:
            if self._error_code(err) in ("user_not_found", "users_not_found"):
                return False
            raise

    def open_view(self, *, trigger_id: str, view: dict) -> str:
        return self._call("views.open", trigger_id=trigger_id, view=view)["view"]["id"]

    def update_view(self, *, view_id: str, view: dict, hash: str | None = None) -> None:
        kwargs = {"view_id": view_id, "view": view}
        if hash:
            kwargs["hash"] = hash
        self._call("views.update", **kwargs)

    def publish_home(self, *, user_id: str, view: dict) -> None:
        self._call("views.publish", user_id=user_id, view=view)

    def create_channel(self, name: str, *, private: bool = False) -> str:
        try:
            return self._call("conversations.create", name=name, is_private=private)["channel"]["id"]
        except SlackUnavailable as err:
            if self._error_code(err) == "name_taken":
                raise NameTaken(name) from err
            raise

    def find_channel(self, name: str, *, private: bool = False) -> dict | None:
        """A public (or private: one bcbot is in) channel by name (id, name, creator), paging through
        conversations.list."""
        cursor = None
        for _ in range(50):  # at most 50,000 channels
            kwargs = {"types": "private_channel" if private else "public_channel", "exclude_archived": True,
                      "limit": 1000}
            if cursor:
                kwargs["cursor"] = cursor
            data = self._call("conversations.list", **kwargs)
            for channel in data.get("channels", []):
                if channel.get("name") == name:
                    return channel
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def channel_usable(self, channel: str) -> bool:
        """Whether bcbot can post in the channel now: it exists, is not archived, and bcbot is in it."""
        try:
            info = self._call("conversations.info", channel=channel).get("channel") or {}
        except SlackRefused:
            return False
        return not info.get("is_archived") and bool(info.get("is_member"))

    def set_topic(self, channel: str, topic: str) -> None:
        self._call("conversations.setTopic", channel=channel, topic=topic[:250])

    def invite(self, channel: str, users: list[str]) -> list[str]:
        """Invite users; returns those Slack could not add (logged), never fails the whole batch."""
        if not users:
            return []
        try:
            self._call("conversations.invite", channel=channel, users=",".join(users))
            return []
        except SlackUnavailable:
            failed = []
            for user in users:  # one by one, so one bad ID does not keep everyone else out
                try:
                    self._call("conversations.invite", channel=channel, users=user)
                except SlackUnavailable as err:
                    if self._error_code(err) not in ("already_in_channel", "cant_invite_self"):
                        failed.append(user)
            return failed

    def post(self, channel: str, *, text: str, blocks: list | None = None, key: str | None = None) -> str:
        kwargs: dict = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if blocks:
            kwargs["blocks"] = blocks
        if key:
            kwargs["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        return self._call("chat.postMessage", **kwargs)["ts"]

    def find_posted(self, channel: str, key: str) -> str | None:
        """The ts of a message bcbot posted with this key, if any (used after a crash mid-post)."""
        data = self._call("conversations.history", channel=channel, limit=200, include_all_metadata=True)
        for message in data.get("messages", []):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return message["ts"]
        return None

    def find_file(self, channel: str, filename: str) -> bool:
        """Whether bcbot already shared a file of this name in the channel (files carry no metadata key)."""
        data = self._call("conversations.history", channel=channel, limit=200)
        return any(f.get("name") == filename for message in data.get("messages", []) for f in message.get("files") or [])

    def post_once(self, channel: str, key: str, *, retry: bool, text: str, blocks: list | None = None) -> str:
        """Post with `key` in the message's metadata, unless an earlier attempt (whose answer was lost:
        a crash, a 5xx, a timeout) already did: on a retry, the channel is looked at first."""
        if retry:
            found = self.find_posted(channel, key)
            if found:
                return found
        return self.post(channel, text=text, blocks=blocks, key=key)

    def update(self, channel: str, ts: str, *, text: str, blocks: list | None = None) -> None:
        self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks or [])

    def pin(self, channel: str, ts: str) -> None:
        try:
            self._call("pins.add", channel=channel, timestamp=ts)
        except SlackUnavailable as err:
            if self._error_code(err) != "already_pinned":
                raise

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self._call("chat.postEphemeral", channel=channel, user=user, text=text)

    def dm(self, user: str, *, text: str, blocks: list | None = None) -> tuple[str, str]:
        channel = self.open_dm(user)
        return channel, self.post(channel, text=text, blocks=blocks)

    def open_dm(self, user: str) -> str:
        """The ID of bcbot's DM with this user (conversations.open)."""
        return self._call("conversations.open", users=user)["channel"]["id"]

    def upload_file(self, *, channel: str, filename: str, content: str, title: str | None = None,
                    initial_comment: str | None = None) -> str | None:
        """Share a text file in a conversation: files.getUploadURLExternal, an HTTP POST of the bytes
        to the URL it returns, then files.completeUploadExternal (slack_sdk's files_upload_v2)."""
        try:
            response = self.client.files_upload_v2(channel=channel, filename=filename, content=content,
                                                   title=title or filename, initial_comment=initial_comment)
        except SlackApiError as err:
            code = err.response.get("error", "unknown_error") if err.response is not None else "unknown_error"
            log.warning("Slack file upload failed: %s", code)
            raise refusal(f"Slack refused the file upload: {code}", err, code, channel) from err
        except Exception as err:
            log.warning("Slack file upload failed: %s", type(err).__name__)
            raise SlackUnavailable("Slack could not be reached for a file upload") from err
        return (response.get("file") or {}).get("id")

    def permalink(self, channel: str, ts: str) -> str | None:
        try:
            return self._call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink")
        except SlackUnavailable:
            return None

    def is_response_url(self, url) -> bool:
        """Slack's response URLs are https://hooks.slack.com/...; a fake Slack's share the API's origin.
        Anything else (garbage, another host) is never posted to."""
        from urllib.parse import urlsplit

        if not isinstance(url, str) or len(url) > 2000:
            return False
        try:
            parts, api = urlsplit(url), urlsplit(self.client.base_url)
        except ValueError:
            return False
        if parts.scheme == "https" and (parts.hostname or "").endswith(".slack.com"):
            return True
        return (parts.scheme, parts.netloc) == (api.scheme, api.netloc) and bool(parts.netloc)

    def lookup_email(self, email: str) -> str | None:
        try:
            return self._call("users.lookupByEmail", email=email)["user"]["id"]
        except SlackUnavailable as err:
            if self._error_code(err) == "users_not_found":
                return None
            raise

    def respond(self, response_url: str, text: str) -> None:
        """Answer a slash command or button through its response_url (ephemeral)."""
        if not self.is_response_url(response_url):
            log.warning("not answering through a response_url that is not Slack's")
            return
        try:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(response_url, retry_handlers=self.client.retry_handlers).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        except Exception as err:
            log.warning("response_url call failed: %s", type(err).__name__)


def surely_not_delivered(err: BaseException) -> bool:
    """Whether a failed call certainly had no effect: Slack answered with an error (`ok: false`,
    HTTP 4xx or 429), or the connection was refused or the host not found before anything was sent.
    A timeout, a dropped connection or a 5xx may hide a call that went through."""
    import socket
    from urllib.error import URLError

    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, SlackApiError):
            status = getattr(current.response, "status_code", 0) or 0
            return status < 500
        if isinstance(current, (ConnectionRefusedError, socket.gaierror)):
            return True
        if isinstance(current, URLError) and isinstance(current.reason, BaseException):
            todo.append(current.reason)
        todo += [current.__cause__, current.__context__]
    return False
