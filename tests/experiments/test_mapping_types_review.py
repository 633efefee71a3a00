"""Mapping-type frames against the fact sheet (docs/sources.md mapping-types-2025-10, mapping-types-2026-02, oracles)."""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments import mapping_types_review as mr
from dmabuf_lab.experiments.litmus_frames import scenario_checks, with_findings


def test_every_stated_oracle_agrees():
    t = mr.oracle_table()
    assert set(t["oracle"]) == {1, 2, 3, 4, 5}
    stated = t.filter(pl.col("fact_sheet").is_not_null())
    assert stated["agree"].all()


def test_importer_matrix_facts():
    m = mr.importer_matrix(targets=["mapping-types-2026-02:fixed", "mapping-types-2025-10"])
    cell = {(r["target"], r["exporter"], r["importer"]): r["outcome"] for r in m.iter_rows(named=True)}
    assert cell[("mapping-types-2026-02:fixed", "vfio VF BAR", "iommufd")] == "pal"      # matching check 5
    assert cell[("mapping-types-2026-02:fixed", "vfio VF BAR", "kvm")] == "cannot-express"  # PAL is iommufd's
    assert cell[("mapping-types-2026-02:fixed", "system heap", "legacy (static)")] == "sgt"  # compat list
    assert cell[("mapping-types-2025-10", "vfio VF BAR", "xe")] == "iov"   # PF reaches its VF's BAR


def test_pal_only_needs_the_converter():
    p = {(r["target"], r["importer"]): r["outcome"] for r in mr.pal_only_matches().iter_rows(named=True)}
    assert p[("mapping-types-2026-02", "iommufd")] == "pal"
    assert p[("mapping-types-2026-02", "xe")] == "-EINVAL"
    assert p[("mapping-types-2025-10", "xe")] == "-EINVAL"
    assert p[("mapping-types-2025-10:conversion", "xe")] == "sgt-p2p"


def test_dynamic_only_rule_of_the_design():
    r = {(x["revision"], x["importer_ops"]): x["outcome"] for x in mr.mapping_attach_rule().iter_rows(named=True)}
    assert r[("mapping-types-2025-10", "NULL (static importer)")] == "-EINVAL"
    assert r[("mapping-types-2025-10", "ops with move_notify (dynamic)")] == "sgt"


def test_bug_effects_cover_the_reviewer_bugs():
    v = with_findings(scenario_checks(revision=["mapping-types-2026-02"], every_variant=True))
    b = mr.bug_effects(v)
    reviewers = b.filter(pl.col("found_by") == "reviewers")
    assert set(reviewers["bug"]) == set(mr.REVIEWER_FOUND)
    assert (reviewers["scenarios_changed"] >= 1).all()
    for row in reviewers.iter_rows(named=True):
        assert row["posted"] != row["fix_only_this"]
