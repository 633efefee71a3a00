"""Every notebook runs headless with small parameters and exports its figures."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import polars as pl
import pytest

from runner_support import ROOT, notebook_names
from png_check import decode_png

EXPORTS = ("svg", "png", "txt", "parquet", "csv", "vl.json")


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_runs_with_small_parameters(small_build, name):
    result = small_build["results"][name]
    assert result["status"] == "ok", f"{name}: {result['problem']} (log: {result['log']})"
    executed = small_build["build"] / "notebooks" / f"{name}.ipynb"
    nb = json.loads(executed.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert injected and "small = True" in "".join(injected[0]["source"])


def test_every_notebook_source_has_a_parameters_cell_with_small():
    from dmabuf_lab.runner.notebook_source import discover
    for src in discover(ROOT / "notebooks"):
        nb = src.read()
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{src.name}: needs exactly one cell tagged parameters"
        assert "small = False" in tagged[0].source, f"{src.name}: parameters must define small = False"


def _figures(build):
    return sorted((build / "figures").glob("*/*.vl.json"))


def test_figures_were_exported(small_build):
    figs = _figures(small_build["build"])
    assert figs, "no figures under build/figures"
    by_nb = {p.parent.name for p in figs}
    assert "00_tour" in by_nb


def test_every_figure_has_all_formats(small_build):
    for spec in _figures(small_build["build"]):
        stem = spec.name[: -len(".vl.json")]
        for ext in EXPORTS:
            path = spec.parent / f"{stem}.{ext}"
            assert path.exists() and path.stat().st_size > 0, f"missing {path}"


def test_txt_figures_fit_72_columns_with_caption_and_command(small_build):
    from dmabuf_lab.figures.provenance import parse_regenerate
    from dmabuf_lab.provenance import lab_commit

    txts = sorted((small_build["build"] / "figures").glob("*/*.txt"))
    assert txts
    for path in txts:
        lines = path.read_text(encoding="utf-8").splitlines()
        too_wide = [(i + 1, len(l)) for i, l in enumerate(lines) if len(l) > 72]
        assert not too_wide, f"{path}: lines wider than 72 columns: {too_wide}"
        assert lines[0].strip() and lines[1] == "", f"{path}: expected a one-line caption"
        commit, argv = parse_regenerate("\n".join(lines))
        assert commit == lab_commit().short, path
        assert argv == ["dmabuf-lab", "run", path.parent.name, "-p", "small=true"], path
        assert lines[-1].strip().endswith("small=true"), path


def test_png_figures_are_non_empty_and_decode(small_build):
    pngs = sorted((small_build["build"] / "figures").glob("*/*.png"))
    assert pngs
    for path in pngs:
        width, height = decode_png(path.read_bytes())
        assert width > 50 and height > 50, f"{path}: {width}x{height}"


def test_svg_figures_parse_and_data_round_trips(small_build):
    for spec_path in _figures(small_build["build"]):
        stem = spec_path.name[: -len(".vl.json")]
        root = ET.parse(spec_path.parent / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg")
        frame = pl.read_parquet(spec_path.parent / f"{stem}.parquet")
        csv_rows = (spec_path.parent / f"{stem}.csv").read_text(encoding="utf-8").strip().splitlines()
        assert len(csv_rows) == frame.height + 1
        spec = json.loads(spec_path.read_text())
        meta = spec["usermeta"]["dmabuf_lab"]
        assert meta["notebook"] == spec_path.parent.name and meta["name"] == stem
