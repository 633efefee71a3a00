"""`dmabuf-lab export FIGURE --format email|svg|png|csv`."""
from __future__ import annotations

import os
import subprocess
import sys

from runner_support import ROOT
from dmabuf_lab import cli
from png_check import decode_png


def _first_figure(build):
    assert (build / "figures" / "00_tour" / "timeline.vl.json").exists()
    return "00_tour", "timeline"


def test_email_export_prints_the_plain_text_form(small_build, capsys):
    build = small_build["build"]
    nb, name = _first_figure(build)
    rc = cli.main(["export", f"{nb}/{name}", "--format", "email", "--build", str(build)])
    out = capsys.readouterr().out
    assert rc == 0
    lines = out.splitlines()
    assert all(len(l) <= 72 for l in lines)
    assert lines[0] and lines[1] == ""
    from dmabuf_lab.figures.provenance import parse_regenerate
    from dmabuf_lab.provenance import lab_commit

    assert parse_regenerate(out) == (lab_commit().short, ["dmabuf-lab", "run", nb, "-p", "small=true"])
    assert lines[-1].strip().endswith("small=true")
    assert out == (build / "figures" / nb / f"{name}.txt").read_text(encoding="utf-8")


def test_short_notebook_names_resolve(small_build, capsys):
    build = small_build["build"]
    nb, name = _first_figure(build)
    rc = cli.main(["export", f"00/{name}", "--build", str(build)])
    out = capsys.readouterr().out
    assert rc == 0 and f"dmabuf-lab run {nb}" in out and out.endswith("small=true\n")


def test_csv_and_svg_and_png_exports(small_build, capsys, tmp_path):
    build = small_build["build"]
    nb, name = _first_figure(build)
    assert cli.main(["export", f"{nb}/{name}", "--format", "csv", "--build", str(build)]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].split(",")[0] == "date"
    assert cli.main(["export", f"{nb}/{name}", "--format", "svg", "--build", str(build)]) == 0
    assert capsys.readouterr().out.lstrip().startswith("<svg")
    target = tmp_path / "fig.png"
    assert cli.main(["export", f"{nb}/{name}", "-f", "png", "-o", str(target), "--build", str(build)]) == 0
    w, h = decode_png(target.read_bytes())
    assert w > 0 and h > 0


def test_missing_figure_names_the_command_that_makes_it(small_build, capsys):
    build = small_build["build"]
    rc = cli.main(["export", "00_tour/no_such_figure", "--build", str(build)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "dmabuf-lab run 00_tour" in err


def test_figure_of_a_notebook_never_run(tmp_path, capsys):
    rc = cli.main(["export", "05_rfc_v1_review_containers/footprint", "--build", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "make it with: dmabuf-lab run 05_rfc_v1_review_containers" in err


def test_list_and_the_real_command_line(small_build):
    build = small_build["build"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "dmabuf_lab.cli", "export", "--list", "--build", str(build)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    rows = [line.split(None, 1) for line in proc.stdout.splitlines() if line.startswith("  ")]
    listed = [row[0] for row in rows]
    assert "00_tour/timeline" in listed
    assert len(listed) == len(list((build / "figures").glob("*/*.txt")))
    # every figure is listed with the caption its email form starts with
    for name, caption in ((r[0], r[1] if len(r) > 1 else "") for r in rows):
        notebook, fig = name.split("/")
        first = (build / "figures" / notebook / f"{fig}.txt").read_text(encoding="utf-8").splitlines()[0]
        assert caption == first, (name, caption, first)
