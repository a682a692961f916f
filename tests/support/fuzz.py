"""Hypothesis strategies that break a valid Slack request: dropped keys, wrong types, huge strings,
truncated or non-JSON payloads, garbage button values.

Each strategy yields a `Mutant`: the HTTP body to send, its content type, and whether it is *fatal*
(certainly not a request bcbot can act on: nothing may change, and the refusal must be logged).
A mutation that only *may* break the request (a key dropped somewhere, a value of the wrong type) is
not fatal: the request may still legitimately do its work.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

Path = tuple  # of str (dict keys) and int (list indexes)

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

# Oversized strings, made once (hypothesis would take long to grow them). The bodies stay under the
# server's 1 MiB limit even when URL-encoded.
HUGE = (
    "x" * 100_000,
    "<!channel> " * 5_000,
    "\n" * 20_000,
    "é" * 30_000,
    "🧯‍🔥" * 10_000,
    "{" * 50_000,
    "[" * 50_000,
)

# By index, so that hypothesis's repr of a strategy stays small.
_HUGE = st.integers(min_value=0, max_value=len(HUGE) - 1).map(HUGE.__getitem__)
_NOT_STRINGS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from([[], {}, [None], [{}], {"": None}]),
)
_ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "null", "{}", "[]", "0", "-1", "1e999", "true", "{\"s\": \"1\"}", "{\"i\": -5}",
                     "{\"r\": 99999999999999999999}", "step:", "step:x", "step:-1", "U", "\x00", "\u202e"]),
)
GARBAGE = st.one_of(_NOT_STRINGS, _ODD_TEXT, _HUGE)


@dataclass
class Mutant:
    body: str
    content_type: str
    fatal: bool
    what: str

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep them readable
        body = self.body if len(self.body) < 400 else f"{self.body[:300]}… ({len(self.body)} characters)"
        return f"Mutant({self.what!r}, fatal={self.fatal}, {self.content_type}, body={body!r})"


# Trees -------------------------------------------------------------------------------------------
def paths(tree: Any, prefix: Path = ()) -> list[Path]:
    out: list[Path] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.append(prefix + (key,))
            out += paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            out.append(prefix + (index,))
            out += paths(value, prefix + (index,))
    return out


def _parent(tree: Any, path: Path) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def replaced(tree: Any, path: Path, value: Any) -> Any:
    tree = copy.deepcopy(tree)
    _parent(tree, path)[path[-1]] = value
    return tree


def dropped(tree: Any, path: Path) -> Any:
    tree = copy.deepcopy(tree)
    parent = _parent(tree, path)
    del parent[path[-1]]
    return tree


def _node(tree: Any, path: Path):
    for step in path:
        if isinstance(tree, dict) and isinstance(step, str) and step in tree:
            tree = tree[step]
        elif isinstance(tree, list) and isinstance(step, int) and step < len(tree):
            tree = tree[step]
        else:
            return _MISSING
    return tree


_MISSING = object()


def broken(tree: Any, base: Any, required: tuple[Path, ...]) -> bool:
    """Whether a required node of `base` is gone from `tree` or has another type there (a later mutation
    may have put a valid-looking value back: judged on the final tree)."""
    for path in required:
        node = _node(tree, path)
        if node is _MISSING or type(node) is not type(_node(base, path)):
            return True
    return False


def _label(path: Path) -> str:
    return "/".join(str(p) for p in path) or "(root)"


@st.composite
def mutated_tree(draw, base: dict, required: tuple[Path, ...]) -> tuple[Any, bool, str]:
    """One to three random mutations anywhere in the tree; fatal if a required node ends up missing or
    of another type."""
    base = json.loads(json.dumps(base))  # as the app will see it (enums become plain strings)
    tree, what = copy.deepcopy(base), []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        candidates = paths(tree)
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        op = draw(st.sampled_from(["drop", "wrong type", "odd text", "huge"]))
        if op == "drop":
            tree = dropped(tree, path)
        elif op == "wrong type":
            tree = replaced(tree, path, draw(_NOT_STRINGS))
        elif op == "odd text":
            tree = replaced(tree, path, draw(_ODD_TEXT))
        else:
            tree = replaced(tree, path, draw(_HUGE))
        what.append(f"{op} at {_label(path)}")
    return tree, broken(tree, base, required), "; ".join(what)


def _truncations(text: str) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=max(0, len(text) - 1)).map(lambda n: text[:n])


# Interactive payloads (payload=<json> form field) --------------------------------------------------
def interactive(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


def interactive_mutants(base: dict, *, required: tuple[Path, ...] = (),
                        garbage_at: tuple[Path, ...] = ()) -> st.SearchStrategy[Mutant]:
    """Mutants of an interactive payload. `required`: nodes without which the request cannot be acted
    on; `garbage_at`: nodes (e.g. a button's value) where any garbage string is fatal too."""
    text = json.dumps(base)
    tree = mutated_tree(base, required).map(lambda t: Mutant(interactive(t[0]), FORM, t[1], t[2]))
    envelope = st.one_of(
        _truncations(text).map(lambda s: Mutant(urlencode({"payload": s}), FORM, True, "truncated JSON")),
        st.text(max_size=30).filter(lambda s: not s.lstrip().startswith(("{", "["))).map(
            lambda s: Mutant(urlencode({"payload": s}), FORM, True, "payload is not JSON")),
        _NOT_STRINGS.filter(lambda v: not isinstance(v, dict)).map(
            lambda v: Mutant(urlencode({"payload": json.dumps(v)}), FORM, True, "payload is not an object")),
        st.just(Mutant("payload=", FORM, True, "empty payload")),
        st.just(Mutant(urlencode({"payload": text, "payload2": "x"}) + "&payload=%7B", FORM, True,
                       "payload given twice")),
    )
    strategies = [tree, tree, envelope]  # random tree mutations twice as often
    if garbage_at:
        strategies.append(st.tuples(st.sampled_from(garbage_at), GARBAGE).map(
            lambda pg: Mutant(interactive(replaced(base, pg[0], pg[1])), FORM, True, f"garbage at {_label(pg[0])}")))
    return st.one_of(*strategies)


# Slash commands (form fields) -------------------------------------------------------------------------
def command_mutants(base: dict[str, str], *, required: tuple[str, ...] = ()) -> st.SearchStrategy[Mutant]:
    def mutate(ops: list[tuple[str, str, str]]) -> Mutant:
        form, fatal, what = dict(base), False, []
        for op, key, value in ops:
            if key not in form:
                continue
            if op == "drop":
                del form[key]
                fatal |= key in required
            elif op == "empty":
                form[key] = ""
                fatal |= key in required and key != "text"
            else:
                form[key] = value
            what.append(f"{op} {key}")
        if form.get("text") != base.get("text"):
            fatal = False  # another subcommand is another request (no text at all opens the activation form)
        return Mutant(urlencode(form), FORM, fatal, "; ".join(what) or "unchanged")

    op = st.tuples(st.sampled_from(["drop", "empty", "odd text", "huge"]), st.sampled_from(sorted(base)),
                   st.one_of(_ODD_TEXT, _HUGE))
    body = urlencode(base)
    return st.one_of(
        st.lists(op, min_size=1, max_size=3).map(mutate),
        st.lists(op, min_size=1, max_size=3).map(mutate),
        _truncations(body).map(lambda s: Mutant(s, FORM, False, "truncated form")),
        st.text(max_size=50).map(lambda s: Mutant(s, FORM, False, "arbitrary body")),
        st.just(Mutant(body + "&user_id=U0OTHER99&command=%2Fother", FORM, False, "duplicated fields")),
    )


# Events API (JSON body) -----------------------------------------------------------------------------------
def event_mutants(base: dict, *, required: tuple[Path, ...] = ()) -> st.SearchStrategy[Mutant]:
    text = json.dumps(base)
    return st.one_of(
        mutated_tree(base, required).map(lambda t: Mutant(json.dumps(t[0]), JSON_TYPE, t[1], t[2])),
        mutated_tree(base, required).map(lambda t: Mutant(json.dumps(t[0]), JSON_TYPE, t[1], t[2])),
        _truncations(text).filter(lambda s: s.strip()).map(lambda s: Mutant(s, JSON_TYPE, True, "truncated JSON")),
        _NOT_STRINGS.filter(lambda v: not isinstance(v, dict) and v is not None).map(
            lambda v: Mutant(json.dumps(v), JSON_TYPE, True, "body is not an object")),
        st.just(Mutant("null", JSON_TYPE, True, "null body")),
    )
