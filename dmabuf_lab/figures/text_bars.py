"""Horizontal bar charts drawn with characters, for plain-text email."""
from __future__ import annotations

import math

import polars as pl

from dmabuf_lab.figures.text_table import EMAIL_WIDTH, format_cell, truncate


def render_bars(frame: pl.DataFrame, label: str, value: str, *, group: str | None = None,
                width: int = EMAIL_WIDTH, unit: str = "", log: bool = False,
                bar_char: str = "#", max_label: int = 28) -> str:
    """One bar per row: ``label  ####### value``, scaled to the largest value.

    ``group`` prefixes each label (``group/label``) so grouped bars still read
    as one list.  ``log=True`` scales bar lengths by log10, which keeps values
    that span orders of magnitude visible; the printed numbers stay exact.
    """
    names = frame.get_column(label).cast(pl.Utf8).to_list()
    if group is not None:
        groups = frame.get_column(group).cast(pl.Utf8).to_list()
        names = [f"{g}/{n}" for g, n in zip(groups, names)]
    values = frame.get_column(value).to_list()
    if not names:
        return "(no rows)"
    labels = [truncate(n, max_label) for n in names]
    label_w = max(len(x) for x in labels)
    texts = [format_cell(v) + (f" {unit}" if unit and v is not None else "") for v in values]
    value_w = max(len(t) for t in texts)
    bar_w = max(4, width - label_w - value_w - 4)

    finite = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if log:
        positive = [v for v in finite if v > 0]
        lo = math.log10(min(positive)) if positive else 0.0
        hi = math.log10(max(positive)) if positive else 1.0
        span = (hi - lo) or 1.0

        def length(v):
            if v is None or v <= 0:
                return 0
            return max(1, round((math.log10(v) - lo) / span * (bar_w - 1)) + 1)
    else:
        top = max((abs(v) for v in finite), default=0) or 1

        def length(v):
            if v is None:
                return 0
            n = round(abs(v) / top * bar_w)
            return max(1, n) if v else 0

    lines = []
    for lab, v, text in zip(labels, values, texts):
        bar = bar_char * min(bar_w, length(v))
        lines.append(f"{lab.ljust(label_w)} |{bar.ljust(bar_w)} {text.rjust(value_w)}".rstrip())
    if log:
        lines.append(f"{'':{label_w}}  (bar length on a log scale)")
    return "\n".join(line[:width] for line in lines)
