"""The Slack Web API methods the fake answers, one `_m_<method>` each, as Slack answers them (its errors included)."""
from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Iterator

from bot.tools.fakeslack.limits import check_message, check_view
from bot.tools.fakeslack.model import Call, Channel, SlackError, User


class SlackMethods:
    """The method handlers; FakeSlack holds the workspace they read and change, and dispatches to them by name."""

    team_id: str
    bot_user_id: str
    calls: list[Call]
    users: dict[str, User]
    channels: dict[str, Channel]
    messages: dict[str, list[dict]]
    pins: set[tuple[str, str]]
    views: dict[str, dict]
    ephemerals: list[dict]
    files: dict[str, dict]
    _ids: Iterator[int]
    _ts: Iterator[int]
    _lock: threading.RLock

    if TYPE_CHECKING:
        @property
        def url(self) -> str: ...

        def channel_by_name(self, name: str) -> Channel | None: ...

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _channel(self, params: dict) -> Channel:
        channel = self.channels.get(params.get("channel", ""))
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            # Slack hides a private channel from anyone outside it.
            raise SlackError("channel_not_found")
        return channel

    def _writable(self, params: dict) -> Channel:
        """A channel bcbot may post in or change, or Slack's error: archived, bcbot not a member, gone."""
        channel = self._channel(params)
        if channel.archived:
            raise SlackError("is_archived")
        if not channel.is_im and self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _m_conversations_info(self, p):
        channel = self._channel(p)
        return {"channel": {"id": channel.id, "name": channel.name, **_kind(channel),
                            "is_archived": channel.archived, "is_member": self.bot_user_id in channel.members}}

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
        check_view(view)
        return stored

    def _m_conversations_create(self, p):
        name = p.get("name", "")
        if not name or len(name) > 80 or name != name.lower() or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789-_" for c in name):
            raise SlackError("invalid_name_specials")
        if self.channel_by_name(name):
            raise SlackError("name_taken")
        channel_id = f"C{next(self._ids):08d}"
        private = str(p.get("is_private", "")).lower() in ("true", "1")
        self.channels[channel_id] = channel = Channel(channel_id, name, members={self.bot_user_id},
                                                      creator=self.bot_user_id, is_private=private)
        self.messages[channel_id] = []
        return {"channel": {"id": channel_id, "name": name, **_kind(channel)}}

    def _m_conversations_setTopic(self, p):
        channel = self._writable(p)
        if len(p.get("topic", "")) > 250:
            raise SlackError("too_long")
        channel.topic = p.get("topic", "")
        return {"channel": {"id": channel.id, "topic": {"value": channel.topic}}}

    def _m_conversations_invite(self, p):
        channel = self._writable(p)
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
        # Like Slack: public channels unless `types` asks for private ones, and only those bcbot is in.
        types = set(str(p.get("types") or "public_channel").split(","))
        channels = [c for c in self.channels.values() if not c.is_im
                    and ("private_channel" in types if c.is_private else "public_channel" in types)
                    and (not c.is_private or self.bot_user_id in c.members)]
        start = int(p.get("cursor") or 0)
        limit = int(p.get("limit") or 100)
        page = channels[start:start + limit]
        more = start + limit < len(channels)
        return {"channels": [{"id": c.id, "name": c.name, "creator": c.creator, **_kind(c)} for c in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_conversations_history(self, p):
        channel = self._channel(p)
        if not channel.is_im and self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        messages = list(reversed(self.messages.get(channel.id, [])))
        if not p.get("include_all_metadata"):
            messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return {"messages": messages[: int(p.get("limit", 100))], "has_more": False}

    def _m_chat_postMessage(self, p):
        channel_id = p.get("channel", "")
        if channel_id in self.users:  # posting to a user ID goes to the DM with the app
            channel_id = self._m_conversations_open({"users": channel_id})["channel"]["id"]
        channel = self._writable({"channel": channel_id})
        check_message(p)
        message = {"type": "message", "ts": self._next_ts(), "text": p.get("text", ""), "blocks": p.get("blocks", []),
                   "user": self.bot_user_id}
        if p.get("metadata"):
            message["metadata"] = p["metadata"]
        self.messages[channel.id].append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _m_chat_update(self, p):
        channel = self._writable(p)
        message = next((m for m in self.messages[channel.id] if m["ts"] == p.get("ts")), None)
        if message is None:
            raise SlackError("message_not_found")
        check_message(p)
        message.update(text=p.get("text", ""), blocks=p.get("blocks", []))
        return {"channel": channel.id, "ts": message["ts"]}

    def _m_chat_postEphemeral(self, p):
        self._writable(p)
        if p.get("user") not in self.users:
            raise SlackError("user_not_in_channel")
        check_message(p)
        self.ephemerals.append(p)
        return {"message_ts": self._next_ts()}

    def _m_chat_getPermalink(self, p):
        channel = self._channel(p)
        return {"permalink": f"https://bcbot-test.slack.com/archives/{channel.id}/p{p.get('message_ts', '').replace('.', '')}"}

    def _m_pins_add(self, p):
        channel = self._writable(p)
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
            channel = self._writable({"channel": p["channel_id"]})
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

    def _m_users_list(self, p):
        members = sorted(self.users.values(), key=lambda u: u.id)
        start = int(p.get("cursor") or 0)
        limit = min(int(p.get("limit") or 200), 1000)
        page = members[start:start + limit]
        more = start + limit < len(members)
        return {"members": [{"id": u.id, "name": u.name, "team_id": u.team_id, "deleted": False,
                             "profile": {"email": u.email} if u.email else {}} for u in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_users_info(self, p):
        user = self.users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": {"id": user.id, "name": user.name, "real_name": user.name, "tz": "Europe/London",
                         "team_id": user.team_id}}


def _kind(channel: Channel) -> dict:
    """How Slack's conversation objects say what a channel is."""
    return {"is_channel": not channel.is_im and not channel.is_private, "is_group": channel.is_private,
            "is_private": channel.is_private, "is_im": channel.is_im}
