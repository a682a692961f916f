"""What `bcbot demo` prints: Slack's messages as a person would see them, in a terminal.

mrkdwn is rendered, not shown: *bold*, _italics_ and ~strike~ become the terminal's bold, italics and
strike-through (plain words when the output is not a terminal), mentions are names and links are
`text (url)` (bot.tools.fakeslack.readable does those). A message is printed once; an edit prints only
the lines it changed; the same message to several people is printed once, naming them all.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_STYLES = {"*": "1", "_": "3", "~": "9"}  # ANSI: bold, italic, strike-through
_SPAN = {mark: re.compile(rf"(?<![\w{re.escape(mark)}]){re.escape(mark)}(?=\S)([^{re.escape(mark)}\n]*?\S)"
                          rf"{re.escape(mark)}(?![\w{re.escape(mark)}])") for mark in _STYLES}
_CODE = re.compile(r"`([^`\n]+)`")
_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_STEP = ("⬜", "✅", "➖")  # a checklist step's first line
_QUOTE = re.compile(r"^(\s*)&gt; |^(\s*)> ", re.MULTILINE)


def terminal(text: str, *, color: bool) -> str:
    """mrkdwn (as readable() leaves it) rendered for a terminal: no `*`, `_`, `~` or `<!…>` left."""
    text = _SPECIAL.sub(r"@\1", text)
    text = _QUOTE.sub(lambda m: (m.group(1) or m.group(2) or "") + "│ ", text)
    text = _CODE.sub(r"\1", text)
    for mark, code in _STYLES.items():
        text = _SPAN[mark].sub((lambda m, c=code: f"\x1b[{c}m{m.group(1)}\x1b[0m") if color else r"\1", text)
    return text


@dataclass
class Screen:
    """What has been shown so far: each message's lines as last printed."""

    color: bool = False
    shown: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    def render(self, text: str) -> list[str]:
        return terminal(text, color=self.color).splitlines()

    def changes(self, batch: list[tuple[str, str, str]]) -> list[str]:
        """`batch`: (message key, where it is, its readable text) for every message posted or changed since
        the last call; returns the lines to print. Identical posts (or identical edits) are printed once."""
        posts: dict[tuple[str, ...], list[str]] = {}
        edits: dict[tuple[str, ...], list[str]] = {}
        for key, where, text in batch:
            lines = self.render(text)
            before = self.shown.get(key)
            if before == lines:
                continue
            self.shown[key] = lines
            if before is None:
                self.titles[key] = _title(lines)
                posts.setdefault(tuple(lines), []).append(where)
            else:
                edit = _edit(before, lines)
                if edit:
                    edits.setdefault((self.titles[key], *edit), []).append(where)
        out: list[str] = []
        for post, places in posts.items():
            out += ["", f"--- {_places(places)} ---", *post]
        for (title, *changed), places in edits.items():
            out += ["", f"--- {_places(places)}: edited “{title}” ---", *changed]
        return out


def _places(places: list[str]) -> str:
    dms = [p.removeprefix("DM with ") for p in places if p.startswith("DM with ")]
    rest = [p for p in places if not p.startswith("DM with ")]
    named = rest + ([f"DM with {_join(dms)}"] if len(dms) > 1 else [f"DM with {dms[0]}"] if dms else [])
    return ", ".join(named)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _title(lines: list[str]) -> str:
    """A short name for a message, to say which one an edit changed."""
    first = next((line.strip(" =") for line in lines if line.strip(" =")), "message")
    first = re.sub(r"\x1b\[\d+m", "", first)
    return first if len(first) <= 48 else first[:47] + "…"


def _edit(before: list[str], after: list[str]) -> list[str]:
    """The lines an edit changed or added (`now:`, after the unchanged line they belong to, `in:`), the
    lines it took away (`gone:`), and buttons taken away said once."""
    shown: list[str] = []
    buttons_gone = False
    for op, b1, b2, a1, a2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            removed = [line.strip() for line in before[b1:b2] if line.strip()]
            buttons_gone = buttons_gone or any(line.startswith("[") for line in removed)
            if op == "delete":
                shown += [f"  gone: {line}" for line in removed if not line.startswith("[")]
        if op in ("replace", "insert"):
            added = [line.strip() for line in after[a1:a2] if line.strip()]
            if added and a1 > 0 and after[a1 - 1].lstrip().startswith(_STEP):  # which step a changed line is of
                shown.append(f"  in:   {after[a1 - 1].strip()}")
            shown += [f"  now:  {line}" for line in added]
    if buttons_gone and not any(line.strip().startswith("[") for line in after):
        shown.append("  gone: its buttons")
    return shown
