"""One scoring path: the CLI, the frames behind the notebooks and the page agree.

`dmabuf-lab litmus`, the litmus frames and the 11_litmus page all score
through ``score_suite()``.  Each test counts the differences two ways and
compares them, over the whole suite and over a copy with two expectations
deliberately broken (one single-thread, one concurrent), so that a form
that scored differently, or ignored the race checks, would fail.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl

from dmabuf_lab import cli
from dmabuf_lab.experiments.litmus_frames import check_summary, checks_frame, race_frame
from dmabuf_lab.litmus.scoring import score_suite

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "litmus"


def _cli_counts(capsys, *paths) -> tuple[int, int]:
    rc = cli.main(["litmus", *map(str, paths), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == (1 if data["mismatches"] else 0)
    return data["mismatches"], len(data["checks"]) + len(data["races"])


def _frame_counts(result) -> tuple[int, int]:
    summary = check_summary(checks_frame(result.checks), race_frame(result.races))
    return int(summary["differ"].sum()), int(summary["checks"].sum())


def test_the_frames_count_what_the_cli_counts_over_the_whole_suite(capsys):
    result = score_suite()
    assert result.races, "the suite has concurrent scenarios: they must be scored too"
    cli_bad, cli_total = _cli_counts(capsys)
    assert (len(result.mismatches), result.total) == (cli_bad, cli_total)
    assert _frame_counts(result) == (cli_bad, cli_total)


def _broken_copy(tmp_path: Path) -> Path:
    """Two shipped scenarios with one expectation each turned false."""
    single = (SHIPPED / "vfio-to-iommufd.toml").read_text()
    # mainline-6.19's bridge gives iommufd phys with no findings (docs/sources.md mainline-6.19)
    assert '\n"mainline-6.19" = []' in single
    (tmp_path / "single.toml").write_text(single.replace('\n"mainline-6.19" = []', '\n"mainline-6.19" = ["leak"]'))
    race = next(p for p in sorted(SHIPPED.glob("*.toml")) if "[races." in p.read_text())
    text = race.read_text()
    m = re.search(r'^(\w[\w-]*) = "(always|sometimes|never)"', text.split("[races.", 1)[1], re.M)
    assert m, race
    flip = {"always": "never", "sometimes": "never", "never": "always"}[m.group(2)]
    head, tail = text.split("[races.", 1)
    tail = tail.replace(m.group(0), f'{m.group(1)} = "{flip}"', 1)
    (tmp_path / "race.toml").write_text(head + "[races." + tail)
    for p in (tmp_path / "single.toml", tmp_path / "race.toml"):
        src = p.read_text()
        topo = re.search(r'^topology = "([^"]+)"', src, re.M).group(1)
        if (SHIPPED / topo).exists():
            shutil.copy(SHIPPED / topo, tmp_path / Path(topo).name)
    return tmp_path


def test_a_broken_single_and_a_broken_race_expectation_count_the_same_everywhere(tmp_path, capsys):
    folder = _broken_copy(tmp_path)
    result = score_suite([folder])
    assert len(result.mismatches) == 2 and len(result.races) >= 1
    assert _cli_counts(capsys, folder) == (2, result.total)
    assert _frame_counts(result) == (2, result.total)
    assert result.summary_line().startswith("2 mismatch(es)")


def test_frames_leave_concurrent_scenarios_to_the_race_explorer():
    from dmabuf_lab.experiments.litmus_frames import load_scenarios, scenario_checks

    scenarios = load_scenarios()
    concurrent = {sc.name for sc in scenarios if sc.concurrent}
    assert concurrent
    frame = scenario_checks(scenarios=[sc for sc in scenarios if sc.name in concurrent][:2])
    assert frame.height == 0
    races = race_frame(score_suite(scenarios=[sc for sc in scenarios if sc.name in concurrent][:2]).races)
    assert races.height and races["ok"].dtype == pl.Boolean
