"""What a notebook switches on before it draws: chart specs kept, frames as tables.

Nothing here runs on import; a notebook calls :func:`use_lab_display` once.
"""
from __future__ import annotations


def use_lab_display() -> None:
    """Keep every chart's Vega-Lite spec in the output and show Polars frames as plain HTML tables."""
    from dmabuf_lab.figures.html_table import use_lab_tables
    from dmabuf_lab.figures.vega import use_lab_renderer

    use_lab_renderer()
    use_lab_tables()
