"""Slack's own limits on messages, views and blocks: over them, Slack answers invalid_blocks / msg_too_long / invalid_arguments."""
from __future__ import annotations

from bot.tools.fakeslack.model import SlackError


def check_message(p: dict) -> None:
    """Slack's own limits: a message over them is rejected with invalid_blocks / msg_too_long."""
    if len(p.get("text") or "") > 40_000:
        raise SlackError("msg_too_long")
    blocks = p.get("blocks") or []
    if len(blocks) > 50:
        raise SlackError("invalid_blocks")
    check_blocks(blocks)


def check_view(view: dict) -> None:
    if len(view.get("blocks", [])) > 100 or len(view.get("private_metadata", "")) > 3000:
        raise SlackError("invalid_arguments")
    if len(view.get("title", {}).get("text", "")) > 24:
        raise SlackError("invalid_arguments")
    check_blocks(view.get("blocks", []))


def check_blocks(blocks: list) -> None:
    for block in blocks:
        text = block.get("text") or {}
        if block.get("type") == "header" and len(text.get("text", "")) > 150:
            raise SlackError("invalid_blocks")
        if block.get("type") == "section":
            if len(text.get("text", "")) > 3000 or len(block.get("fields", [])) > 10:
                raise SlackError("invalid_blocks")
        if block.get("type") == "context" and len(block.get("elements", [])) > 10:
            raise SlackError("invalid_blocks")
        if block.get("type") == "actions" and len(block.get("elements", [])) > 25:
            raise SlackError("invalid_blocks")
        for element in [block.get("accessory") or {}, *block.get("elements", []), block.get("element") or {}]:
            if len(element.get("action_id", "")) > 255 or len(str(element.get("value", ""))) > 2000:
                raise SlackError("invalid_blocks")
            if len(element.get("options", [])) > 100:
                raise SlackError("invalid_blocks")
            for option in element.get("options", []):
                if len(option.get("text", {}).get("text", "")) > 75 or len(option.get("value", "")) > 150:
                    raise SlackError("invalid_blocks")
