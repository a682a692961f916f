"""Hostile text a test injected, looked for wherever Slack would make it live.

A test registers the tokens it put into a plan file, a profile or a form (`FakeSlack.forbid_live("<!channel>",
"<@U0EVIL>", "<https://evil.example|click>")`); every call the fake receives is then searched for them in the
text Slack parses as mrkdwn: a message's `text` (the notification fallback too), every `mrkdwn` object of its
blocks or of a view, a file's `initial_comment` and what is posted to a response_url. Plain text (modal titles,
buttons, headers, channel topics) shows `<!channel>` as typed, so it is not searched.

Only the injected tokens are looked for: bcbot itself writes `<@U…>` mentions of real people and `<#C…>` links.
A token is found live when its opening (up to a `|` label, without the closing `>`) appears unescaped: a cut
that a later `>` could complete is as live as the whole token.
"""
from __future__ import annotations

from typing import Iterator

MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage", "response_url")
VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")


def objects(value, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every object (dict) inside `value`, with its path."""
    if isinstance(value, dict):
        yield path, value
        for key, inner in value.items():
            yield from objects(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from objects(inner, f"{path}[{i}]")


def mrkdwn_texts(method: str, params: dict) -> Iterator[tuple[str, str]]:
    """(where, text) for every string of a call that Slack parses as mrkdwn."""
    if method in MESSAGE_METHODS and isinstance(params.get("text"), str):
        yield "text", params["text"]
    if method == "files.completeUploadExternal" and isinstance(params.get("initial_comment"), str):
        yield "initial_comment", params["initial_comment"]
    if method in MESSAGE_METHODS:
        found = params.get("blocks")
    elif method in VIEW_METHODS:
        found = params.get("view")
    else:
        return
    for path, obj in objects(found):
        if obj.get("type") == "mrkdwn" and isinstance(obj.get("text"), str):
            yield path, obj["text"]


def live_tokens(method: str, params: dict, tokens: tuple[str, ...]) -> list[str]:
    """Where in this call any of `tokens` reaches Slack live: one line per text, naming the tokens."""
    found = []
    for where, text in mrkdwn_texts(method, params):
        live = [token for token in tokens if token.split("|")[0].rstrip(">") in text]
        if live:
            at = min(text.find(token.split("|")[0].rstrip(">")) for token in live)
            found.append(f"{method} {where}: {', '.join(live)} live in …{text[max(0, at - 60):at + 100]!r}")
    return found
