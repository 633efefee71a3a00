"""Litmus scenarios and fault sweeps as frames (dmabuf_lab.experiments.litmus_frames)."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dmabuf_lab.experiments.litmus_frames import (check_summary, fault_rows, fault_rows_for_targets,
                                                  fault_summary, fault_summary_long, load_scenarios,
                                                  scenario_checks, with_findings)
from dmabuf_lab.litmus.runner import FAULT_CLASSES, check_scenario, run_once
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

REPO = Path(__file__).resolve().parents[2]
X550 = REPO / "data" / "captures" / "lspci-intel-x550-1.txt"

# docs/sources.md matching check 5 (vfio + iommufd -> PAL under mapping-types-2026-02) and mainline-6.19 (the private vfio -> iommufd
# bridge returns the phys_vec when nr_ranges == 1).
CAPTURE_SCENARIO = """
question = "Does a scenario on a captured machine give the matching check 5 verdicts?"
topology = "{topology}"

[exporter]
driver = "vfio-pci"
device = "0000:05:00.0"
bar = 0
ranges = [[0x0, 0x200000]]

[importer]
driver = "iommufd"

[expect]
"mainline-6.19" = "phys"
mainline = "phys"
mapping-types-2026-02 = "pal"
"mapping-types-2026-02:fixed" = "pal"
"""


@pytest.mark.parametrize("relative", [False, True])
def test_scenario_accepts_a_capture_path(tmp_path, relative):
    import os

    ref = os.path.relpath(X550, tmp_path) if relative else str(X550)
    path = tmp_path / "capture.toml"
    path.write_text(CAPTURE_SCENARIO.format(topology=ref))
    sc = load_scenario(path)
    assert "0000:05:00.0" in sc.fresh_topology().devices
    checks = {c.target: c for c in check_scenario(sc)}
    assert checks["mainline-6.19"].verdict.outcome == "phys"
    assert checks["mainline-7.3-rc6"].verdict.outcome == "phys"
    assert checks["mapping-types-2026-02:fixed"].verdict.outcome == "pal"
    assert checks["mapping-types-2026-02:fixed"].ok
    # the same through the frame builder
    df = scenario_checks(scenarios=[sc])
    assert df.filter(pl.col("target") == "mapping-types-2026-02:fixed")["observed"].to_list() == ["pal"]


def test_scenario_checks_frame_on_the_oracle5_files():
    df = scenario_checks(select="vfio-to-").filter(~pl.col("scenario").str.starts_with("review-plan-"))
    assert set(df["scenario"]) == {"vfio-to-iommufd", "vfio-to-sgt-importer"}
    r6 = df.filter(pl.col("revision") == "mapping-types-2026-02")
    got = {(s, v): o for s, v, o in r6.select("scenario", "variant", "observed").iter_rows()}
    assert got[("vfio-to-iommufd", "posted")] == "pal"
    assert got[("vfio-to-sgt-importer", "posted")] == "sgt-p2p"
    # ok is outcome_ok and findings_ok
    assert (df["ok"] == (df["outcome_ok"] & df["findings_ok"])).all()
    summary = check_summary(df)
    assert summary["checks"].sum() == df.height
    assert (summary["agree"] + summary["differ"] == summary["checks"]).all()


def test_fault_summary_counts_hand_rows():
    rows = pl.DataFrame({
        "scenario": ["a"] * 5, "target": ["r", "r", "r", "r:fixed", "r:fixed"],
        "revision": ["r"] * 5, "variant": ["posted"] * 3 + ["fixed"] * 2, "index": [1, 2, 3, 1, 2],
        "site": ["s"] * 5, "outcome": ["x"] * 5, "result": ["clean", "leak", "leak", "ok", "clean"],
        "findings": [[]] * 5}, schema_overrides={"findings": pl.List(pl.Utf8)})
    s = fault_summary(rows)
    assert s.columns == ["target", "injected", *FAULT_CLASSES]
    r = s.filter(pl.col("target") == "r").row(0, named=True)
    assert (r["injected"], r["clean"], r["leak"], r["ok"]) == (3, 1, 2, 0)
    f = s.filter(pl.col("target") == "r:fixed").row(0, named=True)
    assert (f["injected"], f["ok"], f["clean"]) == (2, 1, 1)
    long = fault_summary_long(s)
    assert long["runs"].sum() == 5 and (long["runs"] > 0).all()


def test_fault_rows_one_per_allocation_and_target():
    sc = load_scenario(REPO / "litmus" / "rfc-v1-xe-pf-imports-own-vf.toml")
    targets = ["rfc-v1", "rfc-v1:fixed"]
    df = fault_rows_for_targets([sc], targets)
    for t in targets:
        base = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, t)
        got = sorted(df.filter(pl.col("target") == t)["index"].to_list())
        assert got == list(range(1, base.nr_allocs + 1))
    assert set(df["result"]) <= set(FAULT_CLASSES)


def test_load_scenarios_select():
    got = load_scenarios(select="rfc-v1-block")
    assert [s.name for s in got] == ["rfc-v1-block-boundary"]


def test_revision_list_matches_check_scenario_for_one_revision():
    f = scenario_checks(revision=["rfc-v2"])
    expected = []
    for p in find_scenarios():
        for c in check_scenario(load_scenario(p), "rfc-v2"):
            expected.append((c.scenario.name, c.target, c.verdict.outcome, c.ok))
    got = sorted(zip(f["scenario"], f["target"], f["observed"], f["ok"]))
    assert got == sorted(expected)


def test_every_variant_adds_unchecked_rows():
    f = scenario_checks(revision=["rfc-v2"], every_variant=True)
    extra = f.filter(pl.col("expected").is_null() & pl.col("expected_findings").is_null())
    assert extra.height > 0
    assert extra["ok"].is_null().all()


def test_with_findings_cell_from_a_list_or_a_string():
    as_list = pl.DataFrame({"observed": ["sgt", "pal"], "findings": [["leak", "lock"], []]},
                           schema_overrides={"findings": pl.List(pl.Utf8)})
    as_text = pl.DataFrame({"observed": ["sgt", "pal"], "findings": ["leak,lock", ""]})
    for frame in (as_list, as_text):
        assert with_findings(frame)["cell"].to_list() == ["sgt +leak,lock", "pal"]


def test_fault_rows_for_a_revision_list():
    f = fault_rows(revision=["rfc-v2"])
    assert f.height > 0
    assert set(f["revision"]) == {"rfc-v2"}
    assert set(f["result"]) <= set(FAULT_CLASSES)
    # each (scenario, target) numbers its failed allocations 1..N without gaps
    for (_, _), g in f.group_by("scenario", "target"):
        assert sorted(g["index"].to_list()) == list(range(1, g.height + 1))
