"""`dmabuf-lab export` reads only files inside build/figures, whatever the name says."""
from __future__ import annotations

import os

import pytest

from dmabuf_lab import cli

SECRET = "not a figure: a file outside the build folder\n"


@pytest.fixture
def layout(tmp_path):
    build = tmp_path / "build"
    fig = build / "figures" / "00_tour"
    fig.mkdir(parents=True)
    (fig / "timeline.txt").write_text("the timeline\n")
    (fig / "timeline.vl.json").write_text("{}")
    outside = tmp_path / "data" / "captures"
    outside.mkdir(parents=True)
    (outside / "lspci-x.txt").write_text(SECRET)
    (outside / "lspci-x.svg").write_text(SECRET)
    return build, outside


def _refused(capsys, argv) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert SECRET not in out and out == ""
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert "field 'FIGURE'" in err
    return err


def test_a_plain_figure_still_exports(layout, capsys):
    build, _ = layout
    assert cli.main(["export", "00_tour/timeline", "--build", str(build)]) == 0
    assert capsys.readouterr().out == "the timeline\n"


@pytest.mark.parametrize("name", [
    "../../data/captures/lspci-x",
    "00_tour/../../../data/captures/lspci-x",
    "../data/captures/lspci-x",
    "00_tour/..",
    "./timeline",
    "00_tour\\..\\..\\x/y",
])
def test_dot_dot_names_are_refused(layout, capsys, name):
    build, _ = layout
    err = _refused(capsys, ["export", name, "--build", str(build)])
    assert "never a path" in err


@pytest.mark.parametrize("fmt", ["email", "svg"])
def test_a_double_slash_never_turns_into_an_absolute_path(layout, capsys, fmt):
    build, outside = layout
    target = str(outside / "lspci-x")
    _refused(capsys, ["export", f"x/{target}", "--format", fmt, "--build", str(build)])
    _refused(capsys, ["export", f"x//{target.lstrip('/')}", "--format", fmt, "--build", str(build)])


def test_an_absolute_path_is_refused(layout, capsys):
    build, outside = layout
    _refused(capsys, ["export", str(outside / "lspci-x"), "--build", str(build)])


def test_a_symlink_out_of_the_figures_folder_is_refused(layout, capsys):
    build, outside = layout
    os.symlink(outside / "lspci-x.txt", build / "figures" / "00_tour" / "leak.txt")
    err = _refused(capsys, ["export", "00_tour/leak", "--build", str(build)])
    assert "outside" in err
    os.symlink(outside, build / "figures" / "evil")
    err = _refused(capsys, ["export", "evil/lspci-x", "--build", str(build)])
    assert "outside" in err


def test_a_symlink_inside_the_figures_folder_is_followed(layout, capsys):
    build, _ = layout
    os.symlink(build / "figures" / "00_tour" / "timeline.txt", build / "figures" / "00_tour" / "alias.txt")
    assert cli.main(["export", "00_tour/alias", "--build", str(build)]) == 0
    assert capsys.readouterr().out == "the timeline\n"
