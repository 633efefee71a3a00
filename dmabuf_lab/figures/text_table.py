"""Polars frames as plain-text tables that fit a mailing-list reply.

Kernel lists take plain text only, and replies are read at 72 columns.
``render_table`` right-aligns numbers, left-aligns text, truncates long cells
with ``~`` and, when the columns still do not fit, splits them into several
blocks that each repeat the first (key) column.
"""
from __future__ import annotations

import math
from typing import Sequence

import polars as pl

EMAIL_WIDTH = 72
_GAP = "  "
_MIN_COL = 6


def format_cell(value, *, float_digits: int = 4) -> str:
    """One cell as text: integers with thin grouping, floats to a few digits."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and (abs(value) >= 1e7 or abs(value) < 1e-3):
            return f"{value:.{max(1, float_digits - 1)}e}"
        text = f"{value:.{float_digits}g}"
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_cell(v, float_digits=float_digits) for v in value) + "]"
    return str(value).replace("\n", " ")


def _is_numeric(dtype) -> bool:
    return dtype.is_numeric() if hasattr(dtype, "is_numeric") else False


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` characters, marking the cut with ``~``."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + "~"


def _fit_widths(natural: list[int], budget: int) -> list[int]:
    """Shrink the widest columns until the row fits ``budget``."""
    widths = list(natural)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= _MIN_COL:
            break
        widths[widest] -= 1
    return widths


def _blocks(natural: list[int], width: int) -> list[list[int]]:
    """Split column indices into blocks that fit, each block led by column 0."""
    if len(natural) <= 1:
        return [list(range(len(natural)))]
    key_w = min(natural[0], max(_MIN_COL, width // 3))
    blocks: list[list[int]] = []
    current = [0]
    used = key_w
    for i in range(1, len(natural)):
        w = min(natural[i], width - key_w - len(_GAP))
        if len(current) > 1 and used + len(_GAP) + w > width:
            blocks.append(current)
            current = [0]
            used = key_w
        current.append(i)
        used += len(_GAP) + w
    blocks.append(current)
    return blocks


def render_table(frame: pl.DataFrame, *, width: int = EMAIL_WIDTH, max_rows: int = 40,
                 float_digits: int = 4, columns: Sequence[str] | None = None) -> str:
    """Render ``frame`` as an aligned text table no wider than ``width``."""
    if columns is not None:
        frame = frame.select(list(columns))
    if frame.width == 0:
        return "(no columns)"
    shown = frame.head(max_rows)
    headers = [str(c) for c in shown.columns]
    numeric = [_is_numeric(dt) for dt in shown.dtypes]
    cells = [[format_cell(v, float_digits=float_digits) for v in shown.get_column(c).to_list()]
             for c in shown.columns]
    natural = [max([len(h)] + [len(x) for x in col]) for h, col in zip(headers, cells)]

    lines: list[str] = []
    for n, block in enumerate(_blocks(natural, width)):
        if n:
            lines.append("")
        budget = width - len(_GAP) * (len(block) - 1)
        widths = _fit_widths([natural[i] for i in block], budget)
        head, rule = [], []
        for w, i in zip(widths, block):
            h = truncate(headers[i], w)
            head.append(h.rjust(w) if numeric[i] else h.ljust(w))
            rule.append("-" * w)
        lines.append(_GAP.join(head).rstrip())
        lines.append(_GAP.join(rule))
        for r in range(shown.height):
            row = []
            for w, i in zip(widths, block):
                text = truncate(cells[i][r], w)
                row.append(text.rjust(w) if numeric[i] else text.ljust(w))
            lines.append(_GAP.join(row).rstrip())
    if frame.height > max_rows:
        lines.append(f"... {frame.height - max_rows} more rows")
    return "\n".join(line[:width] for line in lines)
