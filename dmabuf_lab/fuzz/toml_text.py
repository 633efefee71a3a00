"""Write fuzzed values back out as TOML text (a minimal writer: every table inline).

The fuzzers mutate parsed scenarios and registries and need them as text
again, so the loaders read them the way they read a user's file.
"""
from __future__ import annotations

import json


class Raw(str):
    """A TOML literal written as is (a date, ``inf``, a malformed token)."""


def value(v) -> str:
    """``v`` as one line of TOML."""
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v))


def key(k) -> str:
    return json.dumps(str(k))


def document(data: dict) -> str:
    """A whole document: scalars and arrays first, then one ``[table]`` per dict
    (an array of dicts becomes ``[[table]]`` entries)."""
    lines, tables = [], []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((k, v))
        else:
            lines.append(f"{key(k)} = {value(v)}")
    for k, v in tables:
        for entry in (v if isinstance(v, list) else [v]):
            lines.append("")
            lines.append(f"[[{key(k)}]]" if isinstance(v, list) else f"[{key(k)}]")
            for kk, vv in entry.items():
                lines.append(f"{key(kk)} = {value(vv)}")
    return "\n".join(lines) + "\n"
