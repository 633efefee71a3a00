"""Figures: export a chart and its frame as svg, png, Vega-Lite, parquet, csv and email text.

In a notebook::

    from dmabuf_lab.figures import save_figure, render_bars
    save_figure(chart, frame, name="footprint", caption="Bytes per container",
                text=render_bars(frame, "container", "bytes"))

Taking anything from this package switches Altair to a renderer that keeps
each chart's spec in the notebook output, which the offline site needs, and
makes IPython show Polars frames as plain, complete HTML tables
(``html_table``).
The names load lazily, so command-line tools that only import a submodule
do not pay for Altair and vl-convert.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "FigureTextError": "email", "compose_email": "email", "regenerate_command": "email",
    "FORMATS": "save", "SavedFigure": "save", "figure_dir": "save", "save_figure": "save",
    "render_bars": "text_bars", "render_heatmap": "text_heatmap", "render_lines": "text_plot",
    "EMAIL_WIDTH": "text_table", "key_columns": "text_table", "render_table": "text_table",
    "use_lab_renderer": "vega", "frame_html": "html_table", "use_lab_tables": "html_table",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dmabuf_lab.figures' has no attribute {name!r}")
    importlib.import_module("dmabuf_lab.figures.vega").use_lab_renderer()
    importlib.import_module("dmabuf_lab.figures.html_table").use_lab_tables()
    value = getattr(importlib.import_module(f"dmabuf_lab.figures.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
