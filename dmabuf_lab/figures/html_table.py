"""Polars frames as readable HTML tables, in notebooks and on the offline site.

Polars' own HTML shows a dtype row, quotes strings, right-aligns text and
cuts a frame to ten rows with an ellipsis row.  ``frame_html`` writes the
table a reader wants: column names only, text left, numbers right, every
row up to ``max_rows`` (a long table scrolls inside its own box), and when
rows are left out a line saying how many.  The wrapper carries
``data-rows`` (the frame's height) and ``data-shown`` so a browser test can
compare what is drawn with the frame.
"""
from __future__ import annotations

import html

import polars as pl

from dmabuf_lab.figures.text_table import format_cell

#: Rows drawn before the rest is left out (and said so); far above any key table.
MAX_ROWS = 500


def _numeric(dtype) -> bool:
    return dtype.is_numeric() if hasattr(dtype, "is_numeric") else False


def _cell_class(dtype) -> str:
    """``num`` (right-aligned), ``date`` (never wrapped at its hyphens) or ``text``."""
    if _numeric(dtype):
        return "num"
    return "date" if getattr(dtype, "is_temporal", lambda: False)() else "text"


def frame_html(frame: pl.DataFrame, *, max_rows: int = MAX_ROWS, float_digits: int = 4) -> str:
    """``frame`` as an HTML table; rows past ``max_rows`` are counted, never dropped silently."""
    shown = frame.head(max_rows)
    kinds = [_cell_class(dt) for dt in frame.dtypes]
    head = "".join(f'<th class="{k}">{html.escape(str(c))}</th>' for c, k in zip(frame.columns, kinds))
    columns = [shown.get_column(c).to_list() for c in shown.columns]
    body = []
    for r in range(shown.height):
        cells = "".join(f'<td class="{k}">'
                        f"{html.escape(format_cell(col[r], float_digits=float_digits))}</td>"
                        for col, k in zip(columns, kinds))
        body.append(f"<tr>{cells}</tr>")
    rows = f"{frame.height:,} row{'s' * (frame.height != 1)}"
    note = f"{rows} &times; {frame.width} column{'s' * (frame.width != 1)}"
    if shown.height < frame.height:
        note = (f"first {shown.height:,} of {rows} shown; the rest are left out here "
                "(the frame holds them all)")
    return (f'<div class="lab-frame" data-rows="{frame.height}" data-shown="{shown.height}">'
            f'<div class="lab-frame-scroll"><table class="lab-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>'
            f'<div class="lab-frame-note">{note}</div></div>')


def use_lab_tables() -> None:
    """Make IPython display every Polars frame through :func:`frame_html` (no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pl.DataFrame, lambda frame: frame_html(frame))
