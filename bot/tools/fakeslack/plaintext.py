"""What a person would see: a posted message or view as plain text, mentions by name and buttons in brackets (for `bcbot demo`)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.tools.fakeslack.fake import FakeSlack

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")


def readable(fake: FakeSlack, message: dict) -> str:
    """A posted message or view as plain text: mentions by name, buttons in brackets."""

    def words(text: str) -> str:
        def user(m: re.Match) -> str:
            return "@" + (fake.users[m.group(1)].name if m.group(1) in fake.users else m.group(1))

        def channel(m: re.Match) -> str:
            return "#" + (fake.channels[m.group(1)].name if m.group(1) in fake.channels else m.group(1))

        text = re.sub(r"<@([UW][A-Z0-9]+)>", user, text)
        text = re.sub(r"<#([CGD][A-Z0-9]+)>", channel, text)
        text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", _DATE.sub(r"\1", text))
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def element(e: dict) -> str:
        kind = e.get("type")
        if kind == "button":
            return f"[{e['text']['text']}]"
        if kind == "users_select":
            return "[Assign ▾]"
        if kind == "overflow":
            return "[⋯ " + " / ".join(o["text"]["text"] for o in e.get("options", [])) + "]"
        return f"[{kind}]"

    lines = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            if block.get("text"):
                lines.append(words(block["text"]["text"]))
            for f in block.get("fields", []):
                lines.append("  " + words(f["text"]).replace("\n", ": ", 1))
            if block.get("accessory"):
                lines.append("  " + element(block["accessory"]))
        elif kind == "context":
            lines.append("  (" + " · ".join(words(e.get("text", "")) for e in block.get("elements", [])) + ")")
        elif kind == "actions":
            lines.append("  " + " ".join(element(e) for e in block.get("elements", [])))
        elif kind == "input":
            lines.append(f"  {block['label']['text']}: ____")
        elif kind == "divider":
            lines.append("  ---")
    if not lines and message.get("text"):
        lines.append(words(message["text"]))
    for attached in message.get("files") or []:
        lines.append(f"📎 {attached.get('title') or attached.get('name')}")
    return "\n".join(lines)
