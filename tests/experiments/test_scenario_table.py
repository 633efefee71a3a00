"""The scenario frame agrees with the litmus runner's own checks."""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments.scenario_table import scenario_verdicts
from dmabuf_lab.litmus.runner import check_scenario
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario


def test_matches_check_scenario_for_one_revision():
    f = scenario_verdicts(["rfc-v2"])
    expected = []
    for p in find_scenarios():
        for c in check_scenario(load_scenario(p), "rfc-v2"):
            expected.append((c.scenario.name, c.target, c.verdict.outcome, c.ok))
    got = sorted(zip(f["scenario"], f["target"], f["observed"], f["ok"]))
    assert got == sorted(expected)


def test_every_variant_adds_unchecked_rows():
    f = scenario_verdicts(["rfc-v2"], every_variant=True)
    extra = f.filter(pl.col("expected").is_null() & pl.col("expected_findings").is_null())
    assert extra.height > 0
    assert extra["ok"].is_null().all()


def test_fault_sweep_frame_classes_and_revisions():
    from dmabuf_lab.experiments.scenario_table import fault_sweep_frame
    from dmabuf_lab.litmus.runner import FAULT_CLASSES

    f = fault_sweep_frame(["rfc-v2"])
    assert f.height > 0
    assert set(f["revision"]) == {"rfc-v2"}
    assert set(f["result"]) <= set(FAULT_CLASSES)
    # each (scenario, target) numbers its failed allocations 1..N without gaps
    for (_, _), g in f.group_by("scenario", "target"):
        assert sorted(g["index"].to_list()) == list(range(1, g.height + 1))
