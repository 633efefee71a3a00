"""A heat map written as a table: rows x columns with the value in each cell.

Numbers may carry a shade character in front (`` .:-=+*#%@`` from low to
high) so the pattern stays visible in plain text; text values (verdicts such
as ``-EOPNOTSUPP``) are shown as they are.
"""
from __future__ import annotations

import polars as pl

from dmabuf_lab.figures.text_table import EMAIL_WIDTH, format_cell, render_table

SHADES = " .:-=+*#%@"


def render_heatmap(frame: pl.DataFrame, row: str, col: str, value: str, *,
                   width: int = EMAIL_WIDTH, shade: bool = False, max_rows: int = 60) -> str:
    """Pivot ``frame`` to ``row`` x ``col`` and render it with ``render_table``."""
    rows = list(dict.fromkeys(frame.get_column(row).cast(pl.Utf8).to_list()))
    cols = list(dict.fromkeys(frame.get_column(col).cast(pl.Utf8).to_list()))
    cell = {}
    for r, c, v in zip(frame.get_column(row).cast(pl.Utf8).to_list(),
                       frame.get_column(col).cast(pl.Utf8).to_list(),
                       frame.get_column(value).to_list()):
        cell[(r, c)] = v
    numbers = [v for v in cell.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    lo, hi = (min(numbers), max(numbers)) if numbers else (0, 0)

    def text(v) -> str:
        if v is None:
            return "."
        out = format_cell(v)
        if shade and isinstance(v, (int, float)) and not isinstance(v, bool):
            level = 0 if hi == lo else round((v - lo) / (hi - lo) * (len(SHADES) - 1))
            out = SHADES[level] + out
        return out

    table = {f"{row} \\ {col}": rows}
    for c in cols:
        table[c] = [text(cell.get((r, c))) for r in rows]
    body = render_table(pl.DataFrame(table), width=width, max_rows=max_rows)
    if shade and numbers:
        body += f"\nshade: '{SHADES[1]}' low ({format_cell(lo)}) .. '{SHADES[-1]}' high ({format_cell(hi)})"
    return body
