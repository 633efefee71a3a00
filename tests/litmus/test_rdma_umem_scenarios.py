"""The RDMA pinned-MR scenarios see what they claim, and would see the defect if it were there."""
from __future__ import annotations

from pathlib import Path

from dmabuf_lab.drivers.rdma.umem_importer import UmemImporter
from dmabuf_lab.litmus.explorer import explore
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import load_scenario

LITMUS = Path(__file__).resolve().parents[2] / "litmus"


def test_the_race_scenario_sees_use_after_revoke_when_the_driver_ignores_the_revoke(monkeypatch):
    sc = load_scenario(LITMUS / "race-rdma-revocable-mr-vs-vfio-revoke.toml")
    assert explore(sc, "mainline-7.3-rc6:fixed").failing.get("use-after-revoke", 0) == 0
    # a driver whose revoke callback leaves the MR usable: transfers reach the revoked BAR
    monkeypatch.setattr(UmemImporter, "revoke_mr", lambda self, priv: None)
    assert explore(sc, "mainline-7.3-rc6:fixed").failing["use-after-revoke"] > 0


def test_the_double_unpin_is_the_exporters_pin_count_warn():
    sc = load_scenario(LITMUS / "fix-104016eb671e-umem-double-unpin.toml")
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, "mainline-6.19")
    [warn] = [f for f in v.findings if f.kind == "warn"]
    assert "ttm_bo_unpin" in warn.message
    # the failure injected is the exporter's map, not the import's own allocations
    assert v.outcome == "-ENOMEM"
    fixed = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, "mainline-6.19:fix-umem-double-unpin")
    assert fixed.outcome == "-ENOMEM" and fixed.findings == []


def test_without_the_fault_the_pinned_import_of_xe_is_clean_in_both_releases():
    sc = load_scenario(LITMUS / "fix-104016eb671e-umem-double-unpin.toml")
    from dataclasses import replace
    options = dict(sc.importer.options)
    options.pop("fail_nth")
    imp = replace(sc.importer, options=options)
    for target in ("mainline-6.19", "mainline-7.1", "mainline-7.3-rc6"):
        v = run_once(sc.fresh_topology(), sc.exporter, imp, sc.steps, target)
        assert v.outcome == "sgt" and v.findings == [], (target, v.outcome, v.findings)
