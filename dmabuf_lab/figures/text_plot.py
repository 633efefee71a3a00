"""Line and scatter sketches drawn with characters, for plain-text email.

The plot is a grid of cells; each series gets its own marker and the legend
names it.  Axis ends are labelled with their values so a reader can still
quote a number; the exact data travel beside the figure as CSV.
"""
from __future__ import annotations

import math

import polars as pl

from dmabuf_lab.figures.text_table import EMAIL_WIDTH, format_cell, truncate

MARKERS = "*o+x#@%&"


def _scale(v: float, lo: float, hi: float, n: int, log: bool) -> int:
    if log:
        v, lo, hi = math.log10(v), math.log10(lo), math.log10(hi)
    if hi == lo:
        return n // 2
    return round((v - lo) / (hi - lo) * (n - 1))


def render_lines(frame: pl.DataFrame, x: str, y: str, *, series: str | None = None,
                 width: int = EMAIL_WIDTH, height: int = 14, logx: bool = False,
                 logy: bool = False, connect: bool = True, xlabel: str | None = None,
                 ylabel: str | None = None) -> str:
    """Sketch ``y`` against ``x`` (one marker per ``series``) in characters."""
    cols = [x, y] + ([series] if series else [])
    data = frame.select(cols).drop_nulls()
    if logx:
        data = data.filter(pl.col(x) > 0)
    if logy:
        data = data.filter(pl.col(y) > 0)
    if data.height == 0:
        return "(no points to plot)"
    xs = [float(v) for v in data.get_column(x).to_list()]
    ys = [float(v) for v in data.get_column(y).to_list()]
    names = data.get_column(series).cast(pl.Utf8).to_list() if series else [""] * len(xs)
    order = list(dict.fromkeys(names))
    marker = {name: MARKERS[i % len(MARKERS)] for i, name in enumerate(order)}

    ylo, yhi = min(ys), max(ys)
    xlo, xhi = min(xs), max(xs)
    ytop, ybot = format_cell(yhi), format_cell(ylo)
    margin = max(len(ytop), len(ybot)) + 1
    plot_w = max(10, width - margin - 1)
    grid = [[" "] * plot_w for _ in range(height)]

    for name in order:
        pts = sorted((xv, yv) for xv, yv, n in zip(xs, ys, names) if n == name)
        cells = [(_scale(xv, xlo, xhi, plot_w, logx), _scale(yv, ylo, yhi, height, logy)) for xv, yv in pts]
        if connect:
            for (c0, r0), (c1, r1) in zip(cells, cells[1:]):
                steps = max(abs(c1 - c0), abs(r1 - r0))
                for s in range(1, steps):
                    c = c0 + round((c1 - c0) * s / steps)
                    r = r0 + round((r1 - r0) * s / steps)
                    if grid[height - 1 - r][c] == " ":
                        grid[height - 1 - r][c] = "."
        for c, r in cells:
            grid[height - 1 - r][c] = marker[name]

    lines = []
    if ylabel:
        lines.append(truncate(ylabel + (" (log)" if logy else ""), width))
    for i, row in enumerate(grid):
        tick = ytop if i == 0 else ybot if i == height - 1 else ""
        lines.append(f"{tick.rjust(margin - 1)} |{''.join(row)}".rstrip())
    lines.append(" " * margin + "+" + "-" * plot_w)
    left, right = format_cell(xlo), format_cell(xhi)
    axis = left + right.rjust(plot_w - len(left))
    lines.append(" " * (margin + 1) + axis)
    if xlabel or logx:
        lines.append(" " * (margin + 1) + truncate((xlabel or x) + (" (log)" if logx else ""), plot_w))
    if series:
        line = ""
        for n in order:
            entry = truncate(f"{marker[n]} {n}", width)
            if line and len(line) + 3 + len(entry) > width:
                lines.append(line)
                line = ""
            line = f"{line}   {entry}" if line else entry
        lines.append(line)
    return "\n".join(line[:width] for line in lines)
