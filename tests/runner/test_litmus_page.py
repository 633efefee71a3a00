"""The 11_litmus page shows the count `dmabuf-lab litmus` reports.

Runs only that notebook (small parameters: every scenario is still scored,
only the fault sweep is shortened), builds its page and reads the answer box
and the summary table's frame.
"""
from __future__ import annotations

import json
import re

import polars as pl

from runner_support import ROOT


def test_the_litmus_page_counts_the_differences_the_cli_reports(tmp_path, capsys):
    from dmabuf_lab import cli
    from dmabuf_lab.figures.site import build_site
    from dmabuf_lab.runner.notebook_source import discover
    from dmabuf_lab.runner.run_notebooks import run_notebooks

    cli.main(["litmus", "--json"])
    data = json.loads(capsys.readouterr().out)
    bad, total = data["mismatches"], len(data["checks"]) + len(data["races"])

    sources = [s for s in discover(ROOT / "notebooks") if s.name == "11_litmus"]
    build = tmp_path / "build"
    [result] = run_notebooks(sources, build=build, small=True, echo=lambda s: None)
    assert result.status == "ok", result.describe()
    build_site(build, notebook_names=["11_litmus"])
    page = (build / "site" / "notebooks" / "11_litmus.html").read_text(encoding="utf-8")
    answer = re.sub(r"<[^>]+>", "", re.search(r'<section class="md answer">(.*?)</section>', page, re.S)[1])
    said = re.search(r"(\d+) mismatch\(es\) in (\d+) checks|all (\d+) checks", answer)
    assert said, answer
    shown_bad = int(said[1]) if said[1] else 0
    shown_total = int(said[2] or said[3])
    assert (shown_bad, shown_total) == (bad, total)
    summary = pl.read_parquet(build / "figures" / "11_litmus" / "summary.parquet")
    assert (int(summary["differ"].sum()), int(summary["checks"].sum())) == (bad, total)
    # the answer's fault-injection line is computed from the sweep on the page, not written by hand
    assert "Under fault injection" in answer
