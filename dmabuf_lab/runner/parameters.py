"""``dmabuf-lab run -p name=value``: read the values safely and check them before anything runs.

A value is JSON when it parses as JSON (``True``, ``False`` and ``None``
spelled the Python way too), else text.  Nothing is evaluated, and a value
nested deeper than ``MAX_DEPTH`` brackets is refused before the parser sees
it.  Each value must fit the parameter it sets, in every notebook being run
that declares it: the type comes from the parameter cell's annotation or, if
none, its default (``max_pages = 4096`` takes an int; ``sizes = [1, 2]`` a
list of ints; a default that is not a literal takes anything).
"""
from __future__ import annotations

import ast
import json
import math

from dmabuf_lab.errors import LabInputError

MAX_DEPTH = 32
SPELLED = {"True": True, "False": False, "None": None}
_ANNOTATIONS = {"bool": bool, "int": int, "float": float, "str": str, "list": list, "dict": dict,
                "tuple": list}


class ParameterError(LabInputError):
    """A ``--params`` item that is not ``name=value``, or a value that does not fit."""


def _depth(raw: str) -> int:
    """How deep ``[``/``{`` nest in ``raw``, ignoring brackets inside JSON strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def parse_value(name: str, raw: str):
    """The value ``raw`` stands for (JSON, else the text itself)."""
    if raw in SPELLED:
        return SPELLED[raw]
    if _depth(raw) > MAX_DEPTH:
        raise ParameterError(f"parameter {name!r}: value nests deeper than {MAX_DEPTH} brackets; "
                             "expected a JSON value or plain text", field="--params")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw


def parse_params(items: list[str] | None) -> dict:
    """``["n=10", "sizes=[1,2]", "mode=fast"]`` -> dict; values are JSON, else text."""
    out = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            hint = " (name notebooks before --params)" if not sep and item[:2].isdigit() else ""
            shown = item if len(item) <= 60 else item[:57] + "..."
            raise ParameterError(f"expected name=value, got {shown!r}{hint}", field="--params")
        out[name] = parse_value(name, raw)
    return out


def raw_params(items: list[str] | None) -> dict[str, str]:
    """The text after ``=`` of each item, by name."""
    return {item.partition("=")[0].strip(): item.partition("=")[2] for item in items or []}


def _kind_of(value) -> tuple | None:
    """(type, element type or None) for a default value; None when anything goes."""
    if value is None:
        return None
    for t in (bool, int, float, str, dict):
        if type(value) is t:
            return (t, None)
    if isinstance(value, (list, tuple)):
        kinds = {_kind_of(v) for v in value}
        element = next(iter(kinds))[0] if len(kinds) == 1 and None not in kinds else None
        if element in (list, dict):
            element = None
        return (list, element)
    return None


def declared_kind(value_node: ast.expr | None, annotation: ast.expr | None) -> tuple | None:
    """What a parameter takes, from its annotation or its literal default."""
    if isinstance(annotation, ast.Name) and annotation.id in _ANNOTATIONS:
        return (_ANNOTATIONS[annotation.id], None)
    if value_node is None:
        return None
    try:
        default = ast.literal_eval(value_node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return _kind_of(default)


def _fits(value, t: type) -> bool:
    if t is bool:
        return isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value))
    return isinstance(value, t)


_WORDS = {bool: "true or false", int: "an integer", float: "a finite number", str: "text",
          list: "a JSON list", dict: "a JSON object"}


_PLURAL = {bool: "true/false values", int: "integers", float: "finite numbers", str: "strings"}


def _shown(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_value(where: str, value, kind: tuple | None, raw: str | None):
    """``value`` when it fits ``kind`` (text parameters take the raw text); else ParameterError
    naming ``where`` (the parameter and its notebook)."""
    if kind is None:
        return value
    t, element = kind
    if t is str and not isinstance(value, str) and raw is not None:
        return raw
    if _fits(value, t) and (element is None or all(_fits(v, element) for v in value)):
        return value
    want = _WORDS[t] + (f" of {_PLURAL[element]}" if element is not None and t is list else "")
    raise ParameterError(f"{where} expects {want}, got {_shown(value)}", field="--params")


def check_params(params: dict, chosen, raw: dict[str, str] | None = None) -> dict:
    """Every ``-p`` name must be a parameter of a notebook being run, and its value must
    fit that parameter in each of them.  Returns the values to inject.

    Papermill would inject an unknown name as a new variable that nothing
    reads, and the run would silently use the defaults; this refuses a name
    that no chosen notebook declares and lists what each of them takes.
    """
    declared = {nb.name: nb.parameters() for nb in chosen}
    unknown = [name for name in params if not any(name in p for p in declared.values())]
    if unknown:
        names = ", ".join(map(repr, unknown))
        if len(declared) == 1:
            (nb, p), = declared.items()
            told = f"{nb} has no parameter {names}; its parameters: {', '.join(p) or '(none)'}"
        else:
            told = (f"no notebook run here has a parameter {names}; their parameters: "
                    + "; ".join(f"{nb}: {', '.join(p) or '(none)'}" for nb, p in declared.items()))
        raise ParameterError(told + " (the cell tagged 'parameters' in notebooks/<name>.py declares them)",
                             field="--params")
    out = dict(params)
    for nb in chosen:
        kinds = nb.parameter_kinds()
        for name in params:
            if name not in kinds:
                continue
            where = f"parameter {name!r} of {nb.name} (notebooks/{nb.path.name}:{nb.parameters().get(name)})"
            out[name] = check_value(where, out[name], kinds[name], (raw or {}).get(name))
    return out
