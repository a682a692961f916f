"""Slack's mrkdwn: escaping user text, mentions, links, and reading Slack's own encoding back."""
from __future__ import annotations

import re

from bot.domain.text import clean, truncate


def escape(text: str | None) -> str:
    """Escape &, < and > as Slack asks, so `<!channel>` or `<https://x|y>` stay plain text."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(text: str | None, limit: int) -> str:
    """Escape and truncate in one go: user text going into mrkdwn."""
    return truncate(escape(text), limit)


def plain(text: str | None, limit: int) -> str:
    """Text for plain_text objects (never parsed as mrkdwn), cleaned and truncated."""
    return truncate(clean(text), limit)


def user_mention(user_id: str | None) -> str:
    if not user_id or not re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
        return "someone"
    return f"<@{user_id}>"


def link(url: str, label: str) -> str:
    """A link with a label of bcbot's own: the address escaped, and a `|` in it encoded so that it cannot
    end the address early and put text of its own in the label."""
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def channel_link(channel_id: str | None) -> str:
    if not channel_id or not re.fullmatch(r"[CGD][A-Z0-9]{2,}", channel_id):
        return "(channel not created yet)"
    return f"<#{channel_id}>"


_SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def from_slack(text: str | None) -> str:
    """A message's text as Slack sends it (entities encoded, mentions and links as <...>) turned back
    into what a person reads, so quoting it does not show `&lt;` or raw tokens."""

    def token(match: re.Match) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label else target

    decoded = _SLACK_TOKEN.sub(token, text or "")
    return clean(decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
