"""A merged configuration file checked against its pydantic model, its first problem in one line.

The line names the file (the user's whenever the bad value or the unknown key came from it), the
key as written in TOML, the value, and what is wrong: `settings.toml: schedule.hour = 25: must
be at most 23`. Imports nothing heavier than pydantic.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ValidationError

from diplowatch.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def _show(value: Any) -> str:
    """A value as it would be written in TOML, short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else "an array"
    return str(value)


def _key(loc: Loc) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parts[-1] += f" #{part + 1}"  # as the extractors name them: "actor #3"
        elif isinstance(part, int):
            parts.append(f"#{part + 1}")
        elif part.replace("-", "").replace("_", "").isalnum():
            parts.append(part)
        else:
            parts.append(json.dumps(part, ensure_ascii=False))
    return ".".join(parts)


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _input_loc(data: Any, loc: Loc, missing: bool) -> Loc:
    """`loc` without pydantic's own steps (union members, '[key]'), as keys of `data`."""
    kept: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        found, child = _child(node, part)
        if found:
            node = child
        elif missing and i == len(loc) - 1:
            pass  # the key that is absent
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _model_at(model: Any, loc: Loc) -> type[BaseModel] | None:
    """The model class that describes the table at `loc` (to list its known keys)."""
    node = model
    for part in loc:
        while True:
            origin = typing.get_origin(node)
            if origin is Annotated:
                node = typing.get_args(node)[0]
            elif origin in (types.UnionType, typing.Union):
                args = [a for a in typing.get_args(node) if a is not type(None)]
                node = args[-1]
            else:
                break
        if isinstance(node, type) and issubclass(node, BaseModel):
            info = node.model_fields.get(str(part))
            if info is None:
                return None
            node = info.annotation
        elif typing.get_origin(node) in (list, dict):
            node = typing.get_args(node)[-1]
        else:
            return None
    while typing.get_origin(node) is Annotated:
        node = typing.get_args(node)[0]
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date",
}


def _problem(err: Mapping[str, Any], model: type[BaseModel], loc: Loc) -> str:
    """What is wrong, in words; `loc` is the key in the file (as keys of the merged data)."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    key = _key(loc)
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        known = ", ".join(sorted(parent.model_fields)) if parent else ""
        what = "section" if len(loc) == 1 and isinstance(value, dict) else "key"
        where = f"[{key}]" if what == "section" else key
        return f"{where}: unknown {what}" + (f" (known: {known})" if known else "")
    if kind == "missing":
        return f"{key}: missing"
    if err["loc"] and err["loc"][-1] == "[key]":  # a table whose names are fixed
        return f"{key}: unknown table (known: {ctx.get('expected')})"
    if kind in _EXPECTED:
        return f"{key}: expected {_EXPECTED[kind]}, got {_show(value)}"
    bounds = {
        "less_than_equal": ("must be at most", "le"),
        "greater_than_equal": ("must be at least", "ge"),
        "greater_than": ("must be more than", "gt"),
        "less_than": ("must be less than", "lt"),
    }
    if kind in bounds:
        words, name = bounds[kind]
        reason = f"{words} {ctx.get(name)}"
    elif kind == "literal_error":
        reason = f"must be one of {ctx.get('expected')}"
    elif kind in ("string_too_short", "too_short"):
        reason = "must not be empty"
    elif kind == "value_error":
        reason = str(ctx.get("error", err["msg"]))
    else:
        msg = str(err["msg"])
        reason = msg[:1].lower() + msg[1:]
    if not loc:
        return reason
    if isinstance(value, dict) and kind == "value_error":
        return f"{key}: {reason}"
    return f"{key} = {_show(value)}: {reason}"


def _came_from(user: dict[str, Any], loc: Loc) -> bool:
    """Whether the value at `loc` of the merged data was written in the user's file."""
    node: Any = user
    for part in loc:
        if not isinstance(node, dict):
            return True  # inside an array or value the user's file replaced whole
        if part not in node:
            return False
        node = node[part]
    return True


def validate(
    model: type[M],
    merged: dict[str, Any],
    shipped: str,
    user: dict[str, Any] | None = None,
    user_path: Path | None = None,
) -> M:
    """`merged` as a `model`, else ConfigError naming the file the first bad value came from."""
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = _input_loc(merged, tuple(first["loc"]), first["type"] == "missing")
        # a union (`sitemap`: a URL or an array of them) fails once per member: count keys
        others = {_input_loc(merged, tuple(e["loc"]), e["type"] == "missing") for e in errors}
        others.discard(loc)
        # a key missing from a table the user's file added is the user's omission
        at = loc[:-1] if first["type"] == "missing" else loc
        blame_user = user is not None and (not at or _came_from(user, at))
        name = str(user_path) if blame_user and user_path is not None else shipped
        more = f" (and {len(others)} more)" if others else ""
        raise ConfigError(f"{name}: {_problem(first, model, loc)}{more}") from None
