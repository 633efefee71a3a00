"""Polars frames as plain-text tables that fit a mailing-list reply.

Kernel lists take plain text only, and replies are read at 72 columns.
``render_table`` right-aligns numbers, left-aligns text, truncates long cells
with ``~`` and, when the columns still do not fit, splits them into several
blocks that each repeat the key columns (those that name a row), or prints
each row as its own block when the key alone is too wide.
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


def _fit_widths(natural: list[int], budget: int, keep: int = 0) -> list[int]:
    """Shrink the widest columns until the row fits ``budget``; the first ``keep``
    columns (the key) are cut only when nothing else is left to cut."""
    widths = list(natural)
    while sum(widths) > budget:
        others = [i for i in range(keep, len(widths)) if widths[i] > _MIN_COL]
        pool = others or [i for i in range(len(widths)) if widths[i] > _MIN_COL]
        if not pool:
            break
        widest = max(pool, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def key_columns(frame: pl.DataFrame) -> list[int]:
    """The columns that name a row: repeated in every block of a split table.

    The shortest run of leading columns whose values together tell the rows
    apart; when no leading run does (a frame with repeated rows), the leading
    text columns, and at least the first column.
    """
    cols = frame.columns
    for n in range(1, len(cols)):
        if frame.select(cols[:n]).is_unique().all():
            return list(range(n))
    lead = 0
    while lead < len(cols) - 1 and not _is_numeric(frame.dtypes[lead]):
        lead += 1
    return list(range(max(1, lead)))


def _blocks(natural: list[int], width: int, key: list[int]) -> list[list[int]] | None:
    """Split column indices into blocks that fit, each block led by the key columns.

    None when the key columns leave no room for another column.
    """
    rest = [i for i in range(len(natural)) if i not in key]
    if not rest:
        return [list(key)]
    key_w = sum(natural[i] for i in key) + len(_GAP) * (len(key) - 1)
    if key_w + len(_GAP) + min(max(natural[i] for i in rest), 2 * _MIN_COL) > width:
        return None  # the key cells would have to be cut: print each row as its own block
    blocks: list[list[int]] = []
    current = list(key)
    used = key_w
    for i in rest:
        w = min(natural[i], width - key_w - len(_GAP))
        if len(current) > len(key) and used + len(_GAP) + w > width:
            blocks.append(current)
            current = list(key)
            used = key_w
        current.append(i)
        used += len(_GAP) + w
    blocks.append(current)
    return blocks


def _transposed(headers: list[str], cells: list[list[str]], key: list[int], rows: int, width: int) -> list[str]:
    """One block per row: the row's key on the first line, then ``column  value`` lines."""
    lines: list[str] = []
    label_w = min(max(len(h) for h in headers), width // 3)
    for r in range(rows):
        if r:
            lines.append("")
        lines.append(truncate(" / ".join(cells[i][r] for i in key), width))
        for i, h in enumerate(headers):
            if i in key:
                continue
            lines.append(truncate(f"  {truncate(h, label_w).ljust(label_w)}  {cells[i][r]}", width))
    return lines


def render_table(frame: pl.DataFrame, *, width: int = EMAIL_WIDTH, max_rows: int = 40,
                 float_digits: int = 4, columns: Sequence[str] | None = None,
                 key: Sequence[str] | None = None) -> str:
    """Render ``frame`` as an aligned text table no wider than ``width``.

    A table too wide for ``width`` is split into blocks of columns; every
    block repeats the key columns (``key``, by default :func:`key_columns`),
    so each of its rows can be read on its own.  When the key columns alone
    nearly fill the width, each row is printed as its own block instead
    (transposed: one ``column  value`` line per column).
    """
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
    if key is not None:
        missing = [k for k in key if k not in headers]
        if missing:
            raise ValueError(f"render_table: key columns {missing} are not in the frame {headers}")
        key_idx = [headers.index(k) for k in key]
    else:
        key_idx = key_columns(frame)

    total = sum(natural) + len(_GAP) * (len(natural) - 1)
    blocks = [list(range(len(natural)))] if total <= width else _blocks(natural, width, key_idx)
    if blocks is None:
        lines = _transposed(headers, cells, key_idx, shown.height, width)
        blocks = []
    else:
        lines = []
    for n, block in enumerate(blocks):
        if n:
            lines.append("")
        budget = width - len(_GAP) * (len(block) - 1)
        keep = len(key_idx) if len(blocks) > 1 else 0
        widths = _fit_widths([natural[i] for i in block], budget, keep)
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
