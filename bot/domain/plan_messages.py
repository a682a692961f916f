"""Plan-file problems in a BC manager's words: where (line, and the field with positions from 1), what is
wrong, what is expected and an example. Generic over the pydantic model: a field's `description` and
`examples` (also in `bcbot plan schema`) feed the messages, so a new field gets good ones by saying them.

None of pydantic's or YAML's own wording reaches the person: each error type is put in words here.
"""
from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

# What a list item is called, where "drop the s" does not say it.
ITEM_NAMES = {"team": "team member", "remit": "service", "before_days": "reminder day", "circumstances": "circumstance"}


class PlanLoader(yaml.SafeLoader):
    """YAML as plan files mean it: dates stay text, so pydantic (not YAML) judges them and says so in words
    (YAML's own date reading crashes on 2027-13-01)."""


class FastPlanLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, parsed by libyaml where PyYAML has it: ten times faster (plans are read at every start)."""


PlanLoader.yaml_implicit_resolvers = FastPlanLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Located:
    line: int | None
    where: str
    message: str


# Where -----------------------------------------------------------------------------------------

def item_name(field: str) -> str:
    if field in ITEM_NAMES:
        return ITEM_NAMES[field]
    return field[:-1] if field.endswith("s") and not field.endswith("ss") else f"{field} item"


def where(loc: tuple) -> str:
    """('phases', 1, 'steps', 2, 'title') -> 'phase 2, step 3: title'; ('review', 'next') -> 'review.next'."""
    parts: list[str] = []
    after_item = False
    for i, part in enumerate(loc):
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(part, int):
            continue
        if isinstance(nxt, int):
            parts.append(f"{item_name(str(part))} {nxt + 1}")
            after_item = True
        elif parts and not after_item:
            parts[-1] += f".{part}"
        else:
            parts.append(str(part))
            after_item = False
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + ": " + parts[-1]


def parse(text: str) -> tuple[Any, yaml.Node | None]:
    """A plan file's data and its nodes (which know their lines), from one parse. A file that cannot be
    parsed raises the YAMLError PyYAML's own parser gives: yaml_problem knows its words."""
    loader = FastPlanLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except yaml.YAMLError:
        yaml.load(text, Loader=PlanLoader)
        raise  # libyaml refused what PyYAML reads: libyaml's words, then
    finally:
        loader.dispose()


def line_of(root: yaml.Node | None, loc: tuple) -> int | None:
    """The line (from 1) of the deepest part of `loc` in the file: a field's key line, a list item's line."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def duplicate_keys(root: yaml.Node | None, path: tuple = ()) -> list[Located]:
    """A key written twice in one place: YAML keeps the last silently; say so."""
    found: list[Located] = []
    if isinstance(root, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in root.value:
            name = str(getattr(key, "value", ""))
            if name in seen:
                found.append(Located(key.start_mark.line + 1, where((*path, name)),
                                     f"`{name}` is written twice here; only the last one would count — keep one"))
            seen.add(name)
            found += duplicate_keys(value, (*path, name))
    elif isinstance(root, yaml.SequenceNode):
        for i, item in enumerate(root.value):
            found += duplicate_keys(item, (*path, i))
    return found


def yaml_problem(err: yaml.YAMLError) -> Located:
    """A YAML syntax error in words, at its line."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(err, "problem", "") or "")
    if "'\\t'" in problem or "\t" in problem:  # PyYAML names a tab '\t' (backslash, t)
        text = "a tab is used for indenting; indent with spaces only"
    elif "mapping values are not allowed" in problem:
        text = ("a value contains `: ` (or the line is indented too far); put the value in quotes, "
                "e.g. title: \"Note: call the office\"")
    elif "could not find expected ':'" in problem:
        text = "this line is not `field: value`; check it has a colon and lines up with the fields around it"
    elif "expected <block end>" in problem or "did not find expected" in problem:
        text = ("the indentation does not line up: fields of one thing start in the same column, "
                "list items with `- ` in the same column")
    elif "end of stream" in problem or "<stream end>" in problem or "expected ','" in problem:
        text = "a quote or bracket is opened and not closed"
    else:
        text = ("the layout cannot be read here: check the indentation (spaces only) and quote values "
                "that contain `: ` or start with `#`, `*`, `&`, `[` or `{`")
    return Located(line, "", text)


# What is expected ----------------------------------------------------------------------------

def _strip(annotation: Any) -> Any:
    """Annotated[X, ...] and X | None -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def field_at(model: type[BaseModel], loc: tuple) -> FieldInfo | None:
    """The pydantic field `loc` points into (list positions walk into the item type)."""
    current: Any = model
    info: FieldInfo | None = None
    for part in loc:
        current = _strip(current)
        if isinstance(part, str) and typing.get_origin(current) in (Union, types.UnionType):
            # A list item written either as text or as fields (a circumstance): into the fields.
            current = next((a for a in map(_strip, typing.get_args(current))
                            if isinstance(a, type) and issubclass(a, BaseModel)), current)
        if isinstance(part, int):
            if typing.get_origin(current) is list:
                current = typing.get_args(current)[0]
                continue
            return None
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            info = current.model_fields[part]
            current = info.annotation
        else:
            return None
    return info


def _item_type(info: FieldInfo | None, loc: tuple) -> Any:
    if info is None:
        return None
    kind = _strip(info.annotation)
    if loc and isinstance(loc[-1], int) and typing.get_origin(kind) is list:
        kind = _strip(typing.get_args(kind)[0])
        if typing.get_origin(kind) in (Union, types.UnionType):  # text or fields: the fields
            kind = next((a for a in map(_strip, typing.get_args(kind))
                         if isinstance(a, type) and issubclass(a, BaseModel)), kind)
    return kind


def _submodel(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    kind = model if not loc else _item_type(field_at(model, loc), loc)
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _example(info: FieldInfo | None, kind: Any) -> str | None:
    if info is not None and info.examples:
        return str(info.examples[0])
    if kind is date:
        return "2027-11-15"
    if kind is int:
        return "12"
    return None


def _described(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    text = str(value)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def _fields_of(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _message(model: type[BaseModel], error: Any) -> str:
    loc, kind_name, ctx, value = tuple(error["loc"]), error["type"], error.get("ctx") or {}, error.get("input")
    info = field_at(model, loc)
    kind = _item_type(info, loc)
    example = _example(info, kind)
    eg = f", e.g. {example}" if example else ""
    described = info.description if info is not None and info.description else None
    if kind_name == "missing":
        sub = _submodel(model, loc)
        if sub is not None:
            return f"is missing; add `{loc[-1]}:` with {_fields_of(sub)} indented under it"
        return f"is missing; add `{loc[-1]}: …`" + (f" ({described})" if described else "") + eg
    if kind_name == "extra_forbidden":
        parent = _submodel(model, loc[:-1])
        known = list(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return f"`{loc[-1]}` is not a field bcbot knows here; {hint}the fields here are: " + ", ".join(known)
    if kind_name in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind_name.startswith("date") or kind is date:
        return f"{_described(value)} is not a date; write dates as YYYY-MM-DD, e.g. 2027-11-15"
    if kind_name == "string_pattern_mismatch":
        return f"{_described(value)} is not in the expected form; expected {described or 'the form of the example'}{eg}"
    if kind_name == "string_too_short":
        return "is empty; write some text" + eg
    if kind_name == "string_too_long":
        return f"is {len(str(value))} characters long; at most {ctx.get('max_length')} fit"
    if kind_name == "too_short":
        return f"has {ctx.get('actual_length', 0)} item(s); needs at least {ctx.get('min_length')}"
    if kind_name == "too_long":
        return f"has {ctx.get('actual_length')} items; at most {ctx.get('max_length')} are allowed"
    if kind_name == "list_type":
        return (f"is {_described(value)}; it must be a list, each item on its own line starting with `- `"
                + (f" (e.g. `- {example}`)" if example else ""))
    if kind_name in ("model_type", "dict_type", "model_attributes_type"):
        sub = _submodel(model, loc)
        fields = f" ({_fields_of(sub)})" if sub is not None else ""
        return f"is {_described(value)}; it must be a group of fields{fields}, each `name: value` indented under it"
    if kind_name.startswith("int") or kind_name.startswith("float"):
        return f"{_described(value)} is not a whole number" + eg
    if kind_name.startswith("bool"):
        return f"{_described(value)} is not yes or no; write true or false"
    if kind_name in ("greater_than_equal", "greater_than"):
        return f"is {value}; it must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind_name in ("less_than_equal", "less_than"):
        return f"is {value}; it must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind_name in ("enum", "literal_error"):
        choices = [m.value for m in kind] if isinstance(kind, type) and issubclass(kind, Enum) else []
        listed = ", ".join(str(c) for c in choices) or str(ctx.get("expected", ""))
        return f"{_described(value)} is not one of: {listed}"
    if kind_name.startswith("string") or kind_name == "str_type":
        return f"is {_described(value)}; it must be one line of text" + eg
    return f"{_described(value)} cannot be used here" + (f"; expected {described}" if described else "") + eg


def _merge_renames(located: list[tuple[tuple, str, Any]]) -> list[tuple[tuple, str, Any]]:
    """A field written under a wrong name is one mistake, not two (`name` unknown + `title` missing)."""
    missing = {loc[:-1]: loc for loc, kind, _ in located if kind == "missing"}
    out, used = [], set()
    for loc, kind, error in located:
        parent = loc[:-1]
        if kind == "extra_forbidden" and parent in missing and parent not in used:
            used.add(parent)
            out.append((loc, "rename", (error, missing[parent][-1])))
            continue
        out.append((loc, kind, error))
    return [item for item in out if not (item[1] == "missing" and item[0][:-1] in used)]


# The tags of a list item that is either text or fields (bot.domain.plan's circumstances): not where it is.
UNION_TAGS = ("text", "fields")


def _untagged(loc: tuple) -> tuple:
    return tuple(p for i, p in enumerate(loc) if not (p in UNION_TAGS and i and isinstance(loc[i - 1], int)))


def describe(err: ValidationError, model: type[BaseModel], root: yaml.Node | None) -> list[Located]:
    """Every validation error of `model`, located and in words."""
    errors = [(loc, e["type"], {**e, "loc": loc}) for e in err.errors() for loc in [_untagged(tuple(e["loc"]))]]
    found: list[Located] = []
    for loc, kind, error in _merge_renames(errors):
        if kind == "rename":
            extra, wanted = error
            found.append(Located(line_of(root, loc), where(loc),
                                 f"`{loc[-1]}` is not a field bcbot knows here; did you mean `{wanted}` "
                                 f"(which is missing)?"))
            continue
        found.append(Located(line_of(root, loc), where(loc), _message(model, error)))
    return sorted(found, key=lambda f: f.line or 0)


def loc_from_path(path: str) -> tuple:
    """'phases[0].steps[2].title' -> ('phases', 0, 'steps', 2, 'title') (for callers naming a field)."""
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path))
