"""A figure's regenerate command reproduces exactly its data.

Runs one notebook, reads the command at the end of a figure's email form,
checks that it names this checkout's commit and the parameters given, runs
it into a second directory and compares the figure's data files byte for
byte.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dmabuf_lab.figures.provenance import FigureProvenance, parse_regenerate
from dmabuf_lab.provenance import LabCommit, lab_commit

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK, FIGURE = "00_tour", "timeline"


def _dmabuf_lab(argv: list[str]) -> None:
    assert argv[0] == "dmabuf-lab"
    proc = subprocess.run([sys.executable, "-m", "dmabuf_lab.cli", *argv[1:]], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_regenerate_command_reproduces_the_figure_data(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _dmabuf_lab(["dmabuf-lab", "run", NOTEBOOK, "--small", "--no-site", "--out", str(first)])
    fig = first / "figures" / NOTEBOOK
    text = (fig / f"{FIGURE}.txt").read_text(encoding="utf-8")
    commit, argv = parse_regenerate(text)
    here = lab_commit()
    assert commit == here.short
    assert f"Lab: dmabuf-lab {here.describe()}" in text
    assert "Parameters: small=true" in text
    assert argv == ["dmabuf-lab", "run", NOTEBOOK, "-p", "small=true"]

    _dmabuf_lab(argv + ["--no-site", "--out", str(second)])
    again = second / "figures" / NOTEBOOK
    for ext in ("csv", "parquet", "txt"):
        a, b = (fig / f"{FIGURE}.{ext}").read_bytes(), (again / f"{FIGURE}.{ext}").read_bytes()
        assert a == b, f"{FIGURE}.{ext} differs after regenerating"
    svg = (fig / f"{FIGURE}.svg").read_text(encoding="utf-8")
    assert '<metadata id="dmabuf-lab">' in svg and here.sha in svg


def test_footer_round_trips_parameters_of_every_type():
    params = {"small": True, "topologies": ["a", "b c"], "n": 3, "mode": "true", "label": "x"}
    prov = FigureProvenance("08_negotiation_matrix", LabCommit("ab" * 20, True), params)
    footer = prov.footer(72)
    assert all(len(line) <= 72 for line in footer.splitlines())
    assert "dirty" in footer.splitlines()[0]
    commit, argv = parse_regenerate(footer)
    assert commit == "ab" * 6
    from dmabuf_lab.runner.command import parse_params

    assert argv[:4] == ["dmabuf-lab", "run", "08_negotiation_matrix", "-p"]
    assert parse_params(argv[4:]) == params


def test_footer_without_runner_says_parameters_are_unknown():
    prov = FigureProvenance("00_tour", LabCommit("unknown", False), None)
    footer = prov.footer()
    assert "not recorded" in footer
    assert parse_regenerate(footer) == (None, ["dmabuf-lab", "run", "00_tour"])
