"""The JSON form of a topology: plain dicts that round-trip exactly, read strictly (types, unknown keys)."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any, Literal, Union

from .errors import LoadError
from .model import Topology

FORMAT_KEY = "vpcdraw_format"
FORMAT_VERSION = 1


def to_dict(topology: Topology) -> dict[str, Any]:
    """The topology as JSON-ready data: every field, tuples as lists, with a format version first."""
    return {FORMAT_KEY: FORMAT_VERSION, **_encode(topology)}


def to_json(topology: Topology) -> str:
    """The topology as indented JSON text (UTF-8 names kept as they are)."""
    return json.dumps(to_dict(topology), indent=2, ensure_ascii=False) + "\n"


def from_dict(data: Any) -> Topology:
    """Read a topology from JSON data; raises LoadError naming the first wrong key or type."""
    if not isinstance(data, dict):
        raise LoadError(f"a topology must be a JSON object, not {_kind(data)}")
    data = dict(data)
    version = data.pop(FORMAT_KEY, FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise LoadError(f"{FORMAT_KEY} {version!r} is not one this vpcdraw reads (it reads {FORMAT_VERSION})")
    return typing.cast(Topology, _decode(data, Topology, "topology"))


def from_json(text: str) -> Topology:
    """Read a topology from JSON text."""
    try:
        data = json.loads(text)
        return from_dict(data)
    except json.JSONDecodeError as error:
        raise LoadError(f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:  # Python's JSON reader recurses per level: a topology is a few levels deep
        raise LoadError("not a topology: its JSON is nested deeper than Python can read") from None
    except ValueError as error:  # "Exceeds the limit (4300 digits) for integer string conversion"
        if "digits" not in str(error):
            raise
        raise LoadError("not a topology: it holds a number of more than 4,300 digits, which Python does not read "
                        "from text") from None


def type_problems(value: Any, hint: Any = Topology, path: str = "topology") -> list[tuple[str, str]]:
    """(path, message) for every field of a built value whose type differs from the model's.

    Topology files are Python, so `cidr=16` or `subnets="a"` can reach the model; this finds them.
    """
    problems: list[tuple[str, str]] = []
    _check(value, hint, path, problems)
    return problems


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"the number {value!r}"
    return names.get(type(value), type(value).__name__)


def _expected(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (Union, types.UnionType):
        return " or ".join(_expected(a) for a in typing.get_args(hint))
    if origin is tuple:
        return "a list"
    if dataclasses.is_dataclass(hint):
        return "an object"
    return {str: "a string", int: "a whole number", bool: "true or false", type(None): "null"}.get(hint, str(hint))


def _is(value: Any, hint: Any) -> bool:
    """Whether a scalar value fits a scalar hint (bool is not a number here)."""
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _decode(data: Any, hint: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        inner = [o for o in options if o is not type(None)]
        shape_ok = isinstance(data, dict) if dataclasses.is_dataclass(inner[0]) else _fits_shallow(data, inner[0])
        if not shape_ok:
            raise LoadError(f"{path} must be {_expected(hint)}, not {_kind(data)}")
        return _decode(data, inner[0], path)
    if origin is tuple:
        if not isinstance(data, list):
            raise LoadError(f"{path} must be a list, not {_kind(data)}")
        item = typing.get_args(hint)[0]
        return tuple(_decode(v, item, f"{path}[{i}]") for i, v in enumerate(data))
    if dataclasses.is_dataclass(hint):
        if not isinstance(data, dict):
            raise LoadError(f"{path} must be an object, not {_kind(data)}")
        fields = {f.name: f for f in dataclasses.fields(hint)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise LoadError(f"{path} has unknown key {unknown[0]!r}; known keys: {', '.join(fields)}")
        missing = [n for n, f in fields.items() if n not in data and _required(f)]
        if missing:
            raise LoadError(f"{path} is missing the key '{missing[0]}'")
        hints = _hints(typing.cast(type, hint))
        values = {k: _decode(v, hints[k], f"{path}.{k}") for k, v in data.items()}
        return typing.cast(Any, hint)(**values)
    problems: list[tuple[str, str]] = []
    _check(data, hint, path, problems)
    if problems:
        raise LoadError(f"{problems[0][0]} {problems[0][1]}")
    return data


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _check(value: Any, hint: Any, path: str, problems: list[tuple[str, str]]) -> None:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        fitting = [o for o in options if _fits_shallow(value, o)]
        if not fitting:
            problems.append((path, f"must be {_expected(hint)}, not {_kind(value)}"))
        else:
            _check(value, fitting[0], path, problems)
    elif origin is Literal:
        if value not in typing.get_args(hint) or isinstance(value, bool):
            problems.append((path, f"must be {_expected(hint)}, not {value!r}"))
    elif origin is tuple:
        if not isinstance(value, tuple | list) or isinstance(value, str):
            problems.append((path, f"must be a list, not {_kind(value)}"))
            return
        item = typing.get_args(hint)[0]
        for i, v in enumerate(value):
            _check(v, item, f"{path}[{i}]", problems)
    elif dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):  # type: ignore[arg-type]
            problems.append((path, f"must be {_expected(hint)}, not {_kind(value)}"))
            return
        for name, field_hint in _hints(hint).items():  # type: ignore[arg-type]
            _check(getattr(value, name), field_hint, f"{path}.{name}", problems)
    elif not _is(value, hint):
        problems.append((path, f"must be {_expected(hint)}, not {_kind(value)}"))


def _fits_shallow(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin is tuple:
        return isinstance(value, tuple | list) and not isinstance(value, str)
    if dataclasses.is_dataclass(hint):
        return isinstance(value, hint)  # type: ignore[arg-type]
    return _is(value, hint)
