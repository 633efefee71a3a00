"""What a reader of the site must never meet, found in a page's HTML and its figures' SVG.

* a legend entry with no visible mark: two series of a line or point chart
  that draw exactly the same points (the later one hides the earlier), or a
  colour domain naming a value the chart's data never has;
* a label cut with "…" inside a chart (Vega's label limit, or a label the
  notebook shortened itself);
* a raw Polars repr (``shape: (9, 5)``) among the lab's HTML tables;
* the same table (or the same printed block) shown twice on one page.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

ELLIPSIS = "\u2026"
_SPEC = re.compile(r'<script type="application/json" class="vega-spec"[^>]*>(.*?)</script>', re.S)
_TABLE = re.compile(r'<table class="lab-table">.*?</table>', re.S)
_PRE = re.compile(r'<pre class="(?:stream stdout|plain)">(.*?)</pre>', re.S)
_POINT_MARKS = ("line", "point", "circle", "square", "trail")


def specs(html: str) -> list[dict]:
    return [json.loads(p.replace("<\\/", "</")) for p in _SPEC.findall(html)]


def _rows(spec: dict, unit: dict) -> list[dict]:
    data = unit.get("data") or spec.get("data") or {}
    if "values" in data:
        return data["values"]
    return (spec.get("datasets") or {}).get(data.get("name"), [])


def _units(node, spec):
    """Every (unit spec with a mark) in ``node``, layers and concatenations included."""
    if isinstance(node, dict):
        if "mark" in node and "encoding" in node:
            yield node
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for child in node.get(key, []):
                yield from _units(child, spec)
        if isinstance(node.get("spec"), dict):
            yield from _units(node["spec"], spec)


def hidden_series(spec: dict) -> list[str]:
    """Pairs of legend entries whose line or point series coincide."""
    out = []
    for unit in _units(spec, spec):
        mark = unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]
        enc = unit["encoding"]
        colour = (enc.get("color") or {}).get("field")
        x, y = (enc.get("x") or {}).get("field"), (enc.get("y") or {}).get("field")
        if mark not in _POINT_MARKS or not (colour and x and y) or unit.get("transform"):
            continue
        series: dict = {}
        for row in _rows(spec, unit):
            series.setdefault(row.get(colour), set()).add((row.get(x), row.get(y)))
        seen: dict = {}
        for name, points in series.items():
            key = frozenset(points)
            if key in seen:
                out.append(f"legend entries {seen[key]!r} and {name!r} draw the same points")
            else:
                seen[key] = name
    return out


def empty_legend_entries(spec: dict) -> list[str]:
    """Legend entries (an explicit colour domain) that no row of the chart's data draws."""
    out = []
    for unit in _units(spec, spec):
        colour = unit["encoding"].get("color") or {}
        field = colour.get("field")
        domain = (colour.get("scale") or {}).get("domain")
        if not field or not isinstance(domain, list) or colour.get("legend", {}) is None:
            continue
        rows = _rows(spec, unit)
        if not rows or field not in rows[0]:
            continue
        drawn = {row.get(field) for row in rows}
        out += [f"legend entry {d!r} has no mark" for d in domain if d not in drawn]
    return out


def cut_labels_in_data(spec: dict) -> list[str]:
    """Text values that already carry "…" (a label the notebook shortened)."""
    found = set()
    for unit in _units(spec, spec):
        for row in _rows(spec, unit):
            found.update(v for v in row.values() if isinstance(v, str) and ELLIPSIS in v)
    return sorted(found)


def page_problems(html: str, name: str = "page") -> list[str]:
    """Everything this module looks for, on one page's HTML."""
    problems = []
    for spec in specs(html):
        title = spec.get("title")
        title = title.get("text") if isinstance(title, dict) else title
        for p in hidden_series(spec) + empty_legend_entries(spec):
            problems.append(f"{name}: chart {title!r}: {p}")
        for label in cut_labels_in_data(spec):
            problems.append(f"{name}: chart {title!r}: label cut with an ellipsis: {label!r}")
    outputs = _SPEC.sub("", html)
    outputs = re.sub(r'<pre class="source">.*?</pre>', "", outputs, flags=re.S)
    if re.search(r"shape: \(\d+, \d+\)", outputs):
        problems.append(f"{name}: a raw Polars repr (shape: (rows, columns))")
    for table, n in Counter(_TABLE.findall(outputs)).items():
        if n > 1:
            head = re.sub(r"<[^>]+>", " ", table)[:60].split()
            problems.append(f"{name}: the same table shown {n} times ({' '.join(head)[:50]})")
    for block, n in Counter(b for b in _PRE.findall(outputs) if block_lines(b) >= 3).items():
        if n > 1:
            problems.append(f"{name}: the same printed block shown {n} times ({block.strip()[:50]!r})")
    return problems


def block_lines(text: str) -> int:
    return len(text.strip().splitlines())


def svg_problems(path: Path) -> list[str]:
    """An exported chart whose drawn text carries "…" (Vega cut a label to its limit)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    cut = re.findall(r">([^<]*" + ELLIPSIS + r"[^<]*)<", text)
    return [f"{path.parent.name}/{path.name}: label cut: {c!r}" for c in cut]
