"""Checks over what bcbot sent to the fake Slack: nothing from users unescaped, nothing over a limit.

`outgoing(fake)` lists every message, view and reply bcbot sent; `problems(...)` walks each and names
every string that would ping people, disguise a link or reverse text, and every Block Kit limit broken.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.tools.fakeslack.live import mrkdwn_texts
from bot.tools.fakeslack.live import objects as _objects

# Slack's documented limits (Block Kit reference; chat.postMessage).
MESSAGE_TEXT_MAX = 40_000
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
OPTION_TEXT_MAX = 75
BUTTON_TEXT_MAX = 75
CONTEXT_TEXT_MAX = 3000
PLACEHOLDER_MAX = 150
LABEL_MAX = 2000
MODAL_TITLE_MAX = 24
INITIAL_VALUE_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
METADATA_MAX = 3000
VALUE_MAX = 2000
TOPIC_MAX = 250

# Characters no message should carry: C0 controls other than tab and newline, DEL, bidi overrides and isolates.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
SENDING = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "views.push",
           "views.publish", "conversations.setTopic")


@dataclass
class Outgoing:
    method: str
    params: dict


def outgoing(fake, since: int = 0, since_response: int = 0) -> list[Outgoing]:
    sent = [Outgoing(c.method, c.params) for c in fake.calls[since:] if c.method in SENDING]
    sent += [Outgoing("response_url", r) for r in fake.responses[since_response:]]
    return sent


def _strings(value, path=""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _mrkdwn_texts(item: Outgoing):
    """Every string Slack parses as mrkdwn (mentions and links work there): the fake's own walker. Not a channel
    topic: Slack's conversations.setTopic "does not support formatting or linkification"."""
    yield from mrkdwn_texts(item.method, item.params)


def injection_problems(sent: list[Outgoing], raw: list[str]) -> list[str]:
    """`raw`: fragments of the injected text that must never appear as such in mrkdwn (e.g. "<!channel>",
    "<@U123>", "<https://evil"); their escaped forms are fine."""
    found = []
    for item in sent:
        for path, text in _mrkdwn_texts(item):
            for fragment in raw:
                if fragment in text:
                    found.append(f"{item.method} {path}: raw {fragment!r} in {text[:200]!r}")
        for path, text in _strings(item.params):
            if UNSAFE_CHARS.search(text):
                char = UNSAFE_CHARS.search(text).group()
                found.append(f"{item.method} {path}: control or bidi character U+{ord(char):04X} in {text[:120]!r}")
    return found


def limit_problems(sent: list[Outgoing]) -> list[str]:
    found = []

    def over(what: str, text, limit: int, where: str) -> None:
        if isinstance(text, str) and len(text) > limit:
            found.append(f"{where}: {what} is {len(text)} characters (Slack allows {limit})")

    for item in sent:
        p = item.params
        where = item.method
        if item.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            over("message text", p.get("text"), MESSAGE_TEXT_MAX, where)
            if len(p.get("blocks") or []) > MESSAGE_BLOCKS_MAX:
                found.append(f"{where}: {len(p['blocks'])} blocks (Slack allows {MESSAGE_BLOCKS_MAX})")
            _check_blocks(p.get("blocks") or [], where, over, found)
        elif item.method == "conversations.setTopic":
            over("topic", p.get("topic"), TOPIC_MAX, where)
        else:
            view = p.get("view") or {}
            if len(view.get("blocks") or []) > VIEW_BLOCKS_MAX:
                found.append(f"{where}: {len(view['blocks'])} blocks in a view (Slack allows {VIEW_BLOCKS_MAX})")
            over("private_metadata", view.get("private_metadata"), METADATA_MAX, where)
            for key in ("title", "submit", "close"):
                over(f"modal {key}", (view.get(key) or {}).get("text"), MODAL_TITLE_MAX, where)
            _check_blocks(view.get("blocks") or [], where, over, found)
    return found


def _check_blocks(blocks, where, over, found) -> None:
    for i, block in enumerate(blocks):
        here = f"{where} block {i} ({block.get('type')})"
        text = (block.get("text") or {}).get("text")
        if block.get("type") == "header":
            over("header", text, HEADER_MAX, here)
        elif block.get("type") == "section":
            over("section text", text, SECTION_TEXT_MAX, here)
            for f in block.get("fields") or []:
                over("section field", f.get("text"), FIELD_TEXT_MAX, here)
        elif block.get("type") == "context":
            for e in block.get("elements") or []:
                over("context text", e.get("text"), CONTEXT_TEXT_MAX, here)
        elif block.get("type") == "input":
            over("label", (block.get("label") or {}).get("text"), LABEL_MAX, here)
        for _, obj in _objects(block):
            if obj.get("type") == "button":
                over("button text", (obj.get("text") or {}).get("text"), BUTTON_TEXT_MAX, here)
                over("button value", obj.get("value"), VALUE_MAX, here)
            if isinstance(obj.get("placeholder"), dict):
                over("placeholder", obj["placeholder"].get("text"), PLACEHOLDER_MAX, here)
            if "initial_value" in obj:
                over("initial value", obj.get("initial_value"), min(obj.get("max_length") or INITIAL_VALUE_MAX,
                                                                      INITIAL_VALUE_MAX), here)
            for option in obj.get("options") or []:
                if isinstance(option, dict):
                    over("option text", (option.get("text") or {}).get("text"), OPTION_TEXT_MAX, here)
                    over("option value", option.get("value"), 150, here)
