"""Export one figure from a notebook, with the data behind it.

``save_figure`` writes, under ``build/figures/<notebook>/``::

    <name>.vl.json   the Vega-Lite spec (data inline; caption in usermeta)
    <name>.svg       rendered by vl-convert, no browser needed
    <name>.png
    <name>.txt       the email form: caption, table or character chart, and
                     the command that regenerates it (every line <= 72 cols)
    <name>.parquet   the Polars frame behind the chart
    <name>.csv

Every file is written atomically, so a reader never sees half a figure.
Only ``dmabuf-lab run`` writes ``build/figures`` (which ``export`` and the
site read): a notebook run anywhere else -- JupyterLab, a plain kernel --
writes under ``build/scratch/figures/<notebook>/`` instead, unless it names
``build_dir``.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dmabuf_lab.figures import vega
from dmabuf_lab.figures.email import FigureTextError, compose_email
from dmabuf_lab.figures.provenance import FigureProvenance
from dmabuf_lab.figures.text_table import render_table
from dmabuf_lab.paths import NOTEBOOK_ENV, atomic_write_bytes, atomic_write_text, build_root

FORMATS = ("vl.json", "svg", "png", "txt", "parquet", "csv")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class SavedFigure:
    """What ``save_figure`` wrote; displays as the chart in a notebook."""

    notebook: str
    name: str
    caption: str
    spec: dict
    email: str
    paths: dict[str, Path] = field(default_factory=dict)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = vega._lab_renderer(self.spec)
        bundle["text/plain"] = self.email
        return bundle


def _jupyterlab_notebook() -> str | None:
    """The notebook's name when JupyterLab runs it (the server sets JPY_SESSION_NAME)."""
    session = os.environ.get("JPY_SESSION_NAME")
    if not session:
        return None
    stem = Path(session).name.split(".")[0]
    return stem if re.match(r"^\d\d_[A-Za-z0-9_]+$", stem) else None


def under_runner() -> bool:
    """True in a notebook that ``dmabuf-lab run`` executes (it names the notebook in the environment)."""
    return bool(os.environ.get(NOTEBOOK_ENV))


def _default_root() -> Path:
    """``build/`` under the runner, ``build/scratch/`` anywhere else."""
    return build_root() if under_runner() else build_root() / "scratch"


def figure_dir(notebook: str, root: Path | None = None) -> Path:
    """``build/figures/<notebook>`` (under ``root`` when given)."""
    return (root or build_root()) / "figures" / notebook


def _check_name(what: str, value: str) -> str:
    if not value or not _NAME_RE.match(value):
        raise FigureTextError(f"figure {what} {value!r} must be letters, digits, '_', '-' or '.'")
    return value


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no nested values: write lists and structs as JSON text."""
    fixes = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):
            fixes.append(pl.col(name).map_elements(
                lambda v: json.dumps(v.to_list() if hasattr(v, "to_list") else v, default=str),
                return_dtype=pl.Utf8))
    return frame.with_columns(fixes) if fixes else frame


def _with_metadata(svg: str, meta: dict) -> str:
    """``svg`` with the figure's provenance as JSON in a ``<metadata>`` element."""
    from xml.sax.saxutils import escape

    end = svg.find(">", svg.find("<svg"))
    if end < 0:
        return svg
    blob = escape(json.dumps(meta, sort_keys=True))
    return f"{svg[:end + 1]}<metadata id=\"dmabuf-lab\">{blob}</metadata>{svg[end + 1:]}"


def save_figure(chart, frame: pl.DataFrame, *, name: str, caption: str, text: str | None = None,
                notebook: str | None = None, build_dir: str | Path | None = None,
                png_scale: float = 2.0) -> SavedFigure:
    """Export ``chart`` (built from ``frame``) as figure ``<notebook>/<name>``.

    ``text`` is the body of the email form (a table from ``render_table`` or a
    character chart from ``render_bars``/``render_lines``/``render_heatmap``);
    by default the frame itself is rendered as a table.  ``notebook`` defaults
    to the notebook ``dmabuf-lab run`` is executing; outside the runner the
    files go under ``build/scratch/``.  Returns a
    ``SavedFigure`` that displays as the chart.
    """
    notebook = notebook or os.environ.get(NOTEBOOK_ENV) or _jupyterlab_notebook()
    if not notebook:
        raise FigureTextError("save_figure needs notebook=... when not run by `dmabuf-lab run`")
    _check_name("notebook", notebook)
    _check_name("name", name)
    if not isinstance(frame, pl.DataFrame):
        raise FigureTextError(f"figure {notebook}/{name}: frame must be a polars.DataFrame, "
                              f"not {type(frame).__name__}")
    body = text if text is not None else render_table(frame)
    provenance = FigureProvenance.current(notebook)
    email = compose_email(notebook, name, caption, body, provenance=provenance)

    spec = vega.to_spec(chart)
    meta = spec.setdefault("usermeta", {})
    meta["dmabuf_lab"] = {"notebook": notebook, "name": name, "caption": " ".join(caption.split()),
                          **provenance.as_meta()}

    out = figure_dir(notebook, Path(build_dir) if build_dir else _default_root())
    paths = {fmt: out / f"{name}.{fmt}" for fmt in FORMATS}
    atomic_write_text(paths["vl.json"], json.dumps(spec, indent=1, sort_keys=True) + "\n")
    atomic_write_text(paths["svg"], _with_metadata(vega.to_svg(spec), meta["dmabuf_lab"]))
    atomic_write_bytes(paths["png"], vega.to_png(spec, scale=png_scale))
    atomic_write_text(paths["txt"], email)
    tmp = paths["parquet"].with_name(f".{name}.parquet.{os.getpid()}.tmp")
    try:
        frame.write_parquet(tmp)
        os.replace(tmp, paths["parquet"])
    finally:
        tmp.unlink(missing_ok=True)
    atomic_write_text(paths["csv"], _csv_ready(frame).write_csv())
    return SavedFigure(notebook=notebook, name=name, caption=meta["dmabuf_lab"]["caption"],
                       spec=spec, email=email, paths=paths)
