"""save_figure writes every format atomically and refuses what would not fit an email."""
from __future__ import annotations

import json

import altair as alt
import polars as pl
import pytest

from dmabuf_lab.figures import FigureTextError, render_bars, save_figure
from png_check import decode_png


def _chart(frame):
    return alt.Chart(frame).mark_bar().encode(x="bytes:Q", y="container:N")


FRAME = pl.DataFrame({"container": ["sg_table", "phys_vec"], "bytes": [32, 16],
                      "findings": [["leak"], []]})


def test_all_formats_written_without_leftovers(tmp_path):
    fig = save_figure(_chart(FRAME.drop("findings")), FRAME, name="bytes", caption="Bytes per entry",
                      notebook="99_test", build_dir=tmp_path,
                      text=render_bars(FRAME, "container", "bytes", unit="B"))
    out = tmp_path / "figures" / "99_test"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"bytes.{ext}" for ext in ("vl.json", "svg", "png", "txt", "parquet", "csv"))
    decode_png((out / "bytes.png").read_bytes())
    assert pl.read_parquet(out / "bytes.parquet").equals(FRAME)
    # nested values become JSON text in the CSV
    assert (out / "bytes.csv").read_text().splitlines()[1] == 'sg_table,32,"[""leak""]"'
    assert json.loads((out / "bytes.vl.json").read_text())["usermeta"]["dmabuf_lab"]["caption"] == \
        "Bytes per entry"
    assert fig.email.startswith("Bytes per entry\n\nsg_table |")
    bundle = fig._repr_mimebundle_()
    assert any(k.startswith("application/vnd.vegalite") for k in bundle) and "text/plain" in bundle


def test_notebook_name_comes_from_the_runner_or_jupyterlab(tmp_path, monkeypatch):
    monkeypatch.delenv("DMABUF_LAB_NOTEBOOK", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(FigureTextError, match="needs notebook="):
        save_figure(_chart(FRAME), FRAME, name="x", caption="c", build_dir=tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/main/notebooks/05_rfc_v1_review_containers.py")
    fig = save_figure(_chart(FRAME), FRAME, name="x", caption="c", build_dir=tmp_path)
    assert fig.notebook == "05_rfc_v1_review_containers"
    monkeypatch.setenv("DMABUF_LAB_NOTEBOOK", "01_mainline_sgt_and_p2p")
    assert save_figure(_chart(FRAME), FRAME, name="x", caption="c", build_dir=tmp_path).notebook == \
        "01_mainline_sgt_and_p2p"


def test_refusals(tmp_path):
    with pytest.raises(FigureTextError, match="caption"):
        save_figure(_chart(FRAME), FRAME, name="x", caption="x" * 80, notebook="99_t", build_dir=tmp_path)
    with pytest.raises(FigureTextError, match="polars.DataFrame"):
        save_figure(_chart(FRAME), {"a": [1]}, name="x", caption="c", notebook="99_t", build_dir=tmp_path)
    with pytest.raises(FigureTextError, match="name"):
        save_figure(_chart(FRAME), FRAME, name="../escape", caption="c", notebook="99_t", build_dir=tmp_path)
    assert not (tmp_path / "figures").exists() or not any((tmp_path / "figures").rglob("*"))


def test_outside_the_runner_figures_go_to_scratch(tmp_path, monkeypatch):
    monkeypatch.delenv("DMABUF_LAB_NOTEBOOK", raising=False)
    monkeypatch.delenv("DMABUF_LAB_PARAMS", raising=False)
    monkeypatch.setenv("DMABUF_LAB_BUILD", str(tmp_path))
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/05_rfc_v1_review_containers.ipynb")
    fig = save_figure(_chart(FRAME), FRAME, name="x", caption="c")
    assert fig.paths["txt"] == tmp_path / "scratch" / "figures" / "05_rfc_v1_review_containers" / "x.txt"
    assert fig.paths["txt"].exists() and not (tmp_path / "figures").exists()
    assert "Parameters: not recorded" in fig.email
    # the runner names the notebook: build/figures, with the parameters it gave
    monkeypatch.setenv("DMABUF_LAB_NOTEBOOK", "05_rfc_v1_review_containers")
    monkeypatch.setenv("DMABUF_LAB_PARAMS", '{"small": true}')
    fig = save_figure(_chart(FRAME), FRAME, name="x", caption="c")
    assert fig.paths["txt"] == tmp_path / "figures" / "05_rfc_v1_review_containers" / "x.txt"
    assert "Parameters: small=true" in fig.email
