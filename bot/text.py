"""Making user text safe for Slack: mrkdwn escaping and length limits."""
from __future__ import annotations

import re
import unicodedata

TRUNCATION_MARK = "… (truncated)"
# Control characters other than tab/newline, and bidi overrides/isolates that can disguise text.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean(text: str | None) -> str:
    """Drop control characters and bidi overrides a person could not have meant to post."""
    if not isinstance(text, str):  # a forged payload's number or list is no text
        return ""
    return _UNSAFE.sub("", unicodedata.normalize("NFC", text))


def escape(text: str | None) -> str:
    """Escape &, < and > as Slack asks, so `<!channel>` or `<https://x|y>` stay plain text."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut text to `limit` characters with a visible marker; never splits an escape entity."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(TRUNCATION_MARK))]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + TRUNCATION_MARK


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


def channel_link(channel_id: str | None) -> str:
    if not channel_id or not re.fullmatch(r"[CGD][A-Z0-9]{2,}", channel_id):
        return "(channel not created yet)"
    return f"<#{channel_id}>"


def slug(text: str, max_len: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:max_len].rstrip("-")


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
