"""RFC v1 (the RFC v1 thread (2025-10-14)): core checks, the IOV match, xe's VF lookup and translation, fault sweep.

Oracles come from the patch text, docs/sources.md and hand
arithmetic over the xe-sriov-8vf preset's VF LMEM block list.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.vfio_pci.rfc_v1 import range_, vfio_pci_match_iov_interconnect
from dmabuf_lab.linux.include.drm.drm_pagemap_h.rfc_v1 import get_order
from dmabuf_lab.drivers.xe.rfc_v1 import xe_bo
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1 import _power_of_two_runs, xe_bo_xarray_to_dma_addr, xe_find_vf_dev
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import (EINVAL, EIO, ENOMEM, EOPNOTSUPP, IS_ERR, PTR_ERR, Kernel, dma_resv, dma_resv_lock,
                               dma_resv_unlock, kmalloc, kstruct, xa_store)
from dmabuf_lab.litmus.runner import fault_sweep_scenario, run_once
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.pci.iov import pci_iov_vf_id
from dmabuf_lab.revisions.base import Oops, Session, session_scope
from dmabuf_lab.revisions.rfc_v1 import (DMA_BUF_INTERCONNECT_IOV, DMA_BUF_INTERCONNECT_NONE, REVISION,
                                         dma_buf_attachment_ic, dma_buf_interconnect,
                                         dma_buf_interconnect_match, dma_buf_interconnect_ops,
                                         dma_buf_iov_interconnect, dma_buf_map_interconnect,
                                         dma_buf_match_interconnects, dma_buf_ops_ic, dma_buf_ranges,
                                         dma_buf_unmap_interconnect)

LITMUS = Path(__file__).resolve().parents[2] / "litmus"
GiB, MiB = 1 << 30, 1 << 20
PF, VF1, VF0 = "0000:03:00.0", "0000:03:00.2", "0000:03:00.1"   # VF1: pci_iov_vf_id 1


@contextlib.contextmanager
def variant(v: str = "posted"):
    """Run model code as the given rfc-v1 variant."""
    with session_scope(Session(None, None, None, REVISION, v)):
        yield


class fake_buf(kstruct):
    fields = ("ops", "resv", "priv", "size")


def _attach(ops, *, dynamic=True, allow_ic=True):
    buf = fake_buf(ops=ops, resv=dma_resv())
    a = dma_buf_attachment_ic()
    a.dmabuf = buf
    a.importer_ops = dma_buf_attach_ops(move_notify=lambda at: None) if dynamic else None
    a.allow_ic = allow_ic
    return a


def _iov(tag, itype=DMA_BUF_INTERCONNECT_IOV):
    ic = dma_buf_iov_interconnect(type=itype, pdev=tag, bar=2)
    return dma_buf_interconnect_match(interconnect=ic)


# --- dma_buf_match_interconnects ------------------------------------------------------------

def test_match_walks_exporter_list_outside():
    calls = []

    def match(e, i):
        calls.append((e.pdev, i.pdev))
        return (e.pdev, i.pdev) in {("x1", "y2"), ("x2", "y1")}

    ops = dma_buf_ops_ic(interconnect_ops=dma_buf_interconnect_ops(match_interconnect=match))
    with Kernel():
        a = _attach(ops)
        ok = dma_buf_match_interconnects(a, [_iov("x1"), _iov("x2")], 2, [_iov("y1"), _iov("y2")], 2)
    # exporter outer loop: (x1,y1), (x1,y2) -> match; an importer-outer walk would stop at (x2,y1)
    assert ok and calls == [("x1", "y1"), ("x1", "y2")]
    assert a.interconnect.type == DMA_BUF_INTERCONNECT_IOV and a.allow_ic


def test_match_skips_other_types_and_clears_allow_ic():
    calls = []
    ops = dma_buf_ops_ic(interconnect_ops=dma_buf_interconnect_ops(
        match_interconnect=lambda e, i: calls.append(1) or True))
    with Kernel():
        a = _attach(ops)
        none = dma_buf_interconnect_match(interconnect=dma_buf_interconnect(type=DMA_BUF_INTERCONNECT_NONE))
        assert dma_buf_match_interconnects(a, [none], 1, [_iov("y")], 1) is False
    assert calls == [] and a.allow_ic is False


@pytest.mark.parametrize("case", ["no-list", "no-match-op"])
def test_match_gives_up_early_keeping_allow_ic(case):
    ops = dma_buf_ops_ic(interconnect_ops=dma_buf_interconnect_ops(
        match_interconnect=None if case == "no-match-op" else (lambda e, i: True)))
    with Kernel():
        a = _attach(ops)
        exp = None if case == "no-list" else [_iov("x")]
        assert dma_buf_match_interconnects(a, exp, 1, [_iov("y")], 1) is False
    assert a.allow_ic is True        # only a walk that finds nothing clears it


def test_iov_match_rule_on_the_preset():
    topo = load_topology("xe-sriov-8vf")
    pf, vf1, vf0 = topo.device(PF), topo.device(VF1), topo.device(VF0)

    def iov(dev, bar):
        return dma_buf_iov_interconnect(type=DMA_BUF_INTERCONNECT_IOV, pdev=dev, bar=bar)

    with Kernel():
        assert vfio_pci_match_iov_interconnect(iov(vf1, 2), iov(pf, 2))
        assert not vfio_pci_match_iov_interconnect(iov(vf1, 2), iov(vf0, 2))   # a sibling VF
        assert not vfio_pci_match_iov_interconnect(iov(vf1, 0), iov(pf, 2))    # BARs differ
        assert vfio_pci_match_iov_interconnect(iov(pf, 2), iov(pf, 2))         # pci_physfn(PF) is the PF
    with Kernel(), variant("fix-iov-match-pf"):
        assert not vfio_pci_match_iov_interconnect(iov(pf, 2), iov(pf, 2))
        assert vfio_pci_match_iov_interconnect(iov(vf1, 2), iov(pf, 2))


# --- dma_buf_map_interconnect / unmap: checks in the posted order ----------------------------

def _map_ops(calls, ret=0):
    def map_ic(attach, ranges):
        calls.append("map")
        return ret
    return dma_buf_ops_ic(interconnect_ops=dma_buf_interconnect_ops(map_interconnect=map_ic,
                                                                    unmap_interconnect=lambda a, r: None))


def _locked_map(a):
    dma_resv_lock(a.dmabuf.resv)
    try:
        return dma_buf_map_interconnect(a)
    finally:
        dma_resv_unlock(a.dmabuf.resv)


def test_null_attachment_oopses_as_posted_and_warns_when_fixed():
    with Kernel(), variant("posted"), pytest.raises(Oops):
        dma_buf_map_interconnect(None)
    with Kernel() as k, variant("fix-null-attach"):
        assert PTR_ERR(dma_buf_map_interconnect(None)) == -EINVAL
    assert [f.kind for f in k.findings] == ["warn"]


def test_static_importer_is_einval_before_the_allow_ic_test():
    calls = []
    with Kernel() as k, variant():
        a = _attach(_map_ops(calls), dynamic=False, allow_ic=False)
        assert PTR_ERR(_locked_map(a)) == -EINVAL
    assert calls == [] and not k.findings


def test_allow_ic_clear_is_eopnotsupp_before_the_ops_test():
    with Kernel() as k, variant():
        a = _attach(dma_buf_ops_ic(), allow_ic=False)       # no interconnect_ops at all
        assert PTR_ERR(_locked_map(a)) == -EOPNOTSUPP
    assert not k.findings


def test_lock_is_asserted_before_the_ops_test():
    with Kernel() as k, variant():
        a = _attach(dma_buf_ops_ic())
        assert PTR_ERR(dma_buf_map_interconnect(a)) == -EINVAL     # unlocked, no ops
    assert [f.kind for f in k.findings] == ["lock"]


def test_enomem_before_the_exporter_runs():
    calls = []
    with Kernel(fail_nth=1) as k, variant():
        a = _attach(_map_ops(calls))
        assert PTR_ERR(_locked_map(a)) == -ENOMEM
    assert calls == [] and not k.findings


def test_exporter_error_unwinds_nodes_but_not_entries():
    """xa_destroy frees the xarray's nodes; what the exporter stored is its own to free."""
    class thing(kstruct):
        fields = ("x",)

    def map_ic(attach, ranges):
        t = kmalloc(thing)
        xa_store(ranges.ranges, 0, t)
        xa_store(ranges.ranges, 1, t)      # needs an xa_node
        return -EIO

    ops = dma_buf_ops_ic(interconnect_ops=dma_buf_interconnect_ops(map_interconnect=map_ic))
    with Kernel() as k, variant():
        a = _attach(ops)
        assert PTR_ERR(_locked_map(a)) == -EIO
    leaks = [f.message for f in k.findings if f.kind == "leak"]
    assert len(leaks) == 1 and "thing" in leaks[0]
    assert [f.kind for f in k.findings] == ["leak"]


@pytest.mark.parametrize("v, kinds", [("posted", ["leak"]), ("fix-unmap-early-return", [])])
def test_unmap_after_allow_ic_cleared(v, kinds):
    calls = []
    with Kernel() as k, variant(v):
        a = _attach(_map_ops(calls))
        r = _locked_map(a)
        assert not IS_ERR(r) and isinstance(r, dma_buf_ranges)
        a.allow_ic = False
        dma_resv_lock(a.dmabuf.resv)
        dma_buf_unmap_interconnect(a, r)
        dma_resv_unlock(a.dmabuf.resv)
    assert sorted({f.kind for f in k.findings}) == kinds


# --- xe_find_vf_dev ----------------------------------------------------------------------------

def test_vf_lookup_worked_example():
    """docs/sources.md: 0x41_8000_0000 is VF index 1 at offset 0x8000_0000, LMEM config 2."""
    topo = load_topology("xe-sriov-8vf")
    pf = topo.device(PF)
    with Kernel() as k, variant():
        vf = xe_find_vf_dev(pf, 0x41_8000_0000)
    assert vf is topo.device(VF1) and pci_iov_vf_id(vf) == 1
    assert 0x41_8000_0000 - 0x40_0000_0000 - 1 * 4 * GiB == 0x8000_0000
    from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_gt_sriov_pf_config.rfc_v1 import xe_gt_sriov_pf_config_get_lmem_obj
    assert xe_gt_sriov_pf_config_get_lmem_obj(pf, pci_iov_vf_id(vf) + 1) is vf.lmem
    assert not k.findings


def test_vf_lookup_last_page_posted_vs_fixed():
    topo = load_topology("xe-sriov-8vf")
    pf = topo.device(PF)
    last = 0x40_0000_0000 + 2 * 4 * GiB - 0x1000        # last page of VF index 1's BAR2
    with Kernel() as k, variant("posted"):
        assert xe_find_vf_dev(pf, last) is None
        assert xe_find_vf_dev(pf, last - 0x1000) is topo.device(VF1)
    assert [f.kind for f in k.findings] == ["no-mapping"]
    with Kernel() as k, variant("fix-vf-lookup-last-page"):
        assert xe_find_vf_dev(pf, last) is topo.device(VF1)
        assert xe_find_vf_dev(pf, last + 0x1000) is topo.device("0000:03:00.3")
    assert not k.findings


# --- translation across a VRAM block boundary ----------------------------------------------------

def _ranges(pairs):
    r = dma_buf_ranges()
    for i, (start, ln) in enumerate(pairs):
        e = range_(start=start, end=start + ln - 1)
        xa_store(r.ranges, i, e)
    r.nranges = len(pairs)
    return r


def _translate(v, pairs):
    topo = load_topology("xe-sriov-8vf")
    pf = topo.device(PF)
    with Kernel() as k, variant(v):
        bo, shadow = xe_bo(), []
        assert xe_bo_xarray_to_dma_addr(_ranges(pairs), bo, pf, shadow=shadow) == 0
        entries = [(e.addr, e.order) for e in bo.dma_data.dma_addr]
    return topo, entries, sorted({f.kind for f in k.findings if f.kind != "leak"})


def test_block_boundary_posted_vs_fixed():
    bar = 0x41_0000_0000                                   # VF index 1's BAR2
    topo, posted, kinds = _translate("posted", [(bar + 0x7FE0_0000, 4 * MiB)])
    blocks = topo.device(VF1).lmem.blocks
    assert blocks[0][1] == 2 * GiB                          # the preset's first block is 2 GiB
    b0, b1 = blocks[0][0], blocks[1][0]
    # posted: one entry, start only, 4 MiB = 2^10 pages
    assert posted == [(b0 + 0x7FE0_0000, 10)] and kinds == ["mistranslation"]
    _, fixed, kinds = _translate("fixed", [(bar + 0x7FE0_0000, 4 * MiB)])
    # fixed: last 2 MiB of block 0, then the first 2 MiB of block 1 (order 9 each)
    assert fixed == [(b0 + 0x7FE0_0000, 9), (b1, 9)] and kinds == []


def test_non_power_of_two_length_posted_vs_fixed():
    bar = 0x41_0000_0000
    topo, posted, kinds = _translate("posted", [(bar, 0x3000)])
    b0 = topo.device(VF1).lmem.blocks[0][0]
    assert posted == [(b0, 2)] and kinds == ["overstated-segment"]
    _, fixed, kinds = _translate("fixed", [(bar, 0x3000)])
    assert fixed == [(b0, 1), (b0 + 0x2000, 0)] and kinds == []


def test_posted_translation_agrees_with_the_bulk_reference():
    """Cross-check with dmabuf_lab.kernels.translate's reference (mode="rfc" and "correct")."""
    translate = pytest.importorskip("dmabuf_lab.kernels.translate")
    import numpy as np
    topo = load_topology("xe-sriov-8vf")
    bar = 0x41_0000_0000
    pairs = [(bar + 0x7FE0_0000, 4 * MiB), (bar + 0x1000, 0x3000), (bar + 0x8000_0000, 2 * MiB)]
    from dmabuf_lab.experiments.translate_topology import from_topology
    t = from_topology(topo, PF)
    starts = np.array([p[0] for p in pairs], dtype=np.uint64)
    lens = np.array([p[1] for p in pairs], dtype=np.uint64)
    ref = translate.translate_bar_to_dpa(starts, lens, t, "rfc", backend="reference")
    _, posted, _ = _translate("posted", pairs)
    assert [int(d) for d in ref.dpa] == [a for a, _ in posted]
    cor = translate.translate_bar_to_dpa(starts, lens, t, "correct", backend="reference")
    _, fixed, _ = _translate("fixed", pairs)
    # the fixed entries, merged back into runs, are the reference's segments
    runs = []
    for addr, order in fixed:
        n = 0x1000 << order
        if runs and runs[-1][0] + runs[-1][1] == addr:
            runs[-1][1] += n
        else:
            runs.append([addr, n])
    assert runs == [[int(d), int(n)] for d, n in zip(cor.dpa, cor.length)]


@pytest.mark.parametrize("size, order", [(0x1000, 0), (0x2000, 1), (0x3000, 2), (2 * MiB, 9),
                                         (2 * MiB + 0x1000, 10), (GiB, 18)])
def test_get_order_rounds_up(size, order):
    assert get_order(size) == order


def test_exact_runs_cover_the_length():
    assert _power_of_two_runs(0, 0x3000) == [(0, 1), (0x2000, 0)]
    assert sum(0x1000 << o for _, o in _power_of_two_runs(0, 2 * MiB + 0x5000)) == 2 * MiB + 0x5000


# --- whole runs and the fault sweep ------------------------------------------------------------------

def test_scenario_with_a_wrong_expectation_fails():
    from dmabuf_lab.litmus.runner import check_scenario
    sc = load_scenario(LITMUS / "rfc-v1-block-boundary.toml")
    sc.expect["rfc-v1"] = "sgt-p2p"
    bad = [c for c in check_scenario(sc, "rfc-v1") if c.target == "rfc-v1"][0]
    assert not bad.ok and any("expected: sgt-p2p" in line for line in bad.diff())


def test_fault_sweep_of_attach_and_map():
    """Every allocation of export, attach and map failed in turn.

    Posted: the RFC's own unwinding leaks nothing and touches no freed
    memory; a failure on the interconnect path makes xe fall back to the
    sg_table, whose only leak is 6.19's inherited sg-helper chunk.  Fixed:
    nothing at all.
    """
    sc = load_scenario(LITMUS / "rfc-v1-xe-ranges-never-unmapped.toml")
    rows = fault_sweep_scenario(sc, "rfc-v1")
    posted = [r for r in rows if r.target == "rfc-v1"]
    fixed = [r for r in rows if r.target == "rfc-v1:fix-xe-ranges-leak"]
    assert posted and fixed
    assert all(r.result in ("clean", "absorbed", "leak") for r in rows)
    for r in posted + fixed:
        if r.result == "leak":
            assert r.outcome == "sgt-p2p"
            new = [f for f in r.findings if "scatterlist" not in f]
            assert all("sg_kmalloc" in f or "[leak]" not in f for f in new), new
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, "rfc-v1:fixed")
    base = v.nr_allocs
    for i in range(1, base + 1):
        w = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, "rfc-v1:fixed", fail_nth=i)
        assert w.finding_kinds == [], (i, w.findings)


# --- the three lab-found bugs no litmus scenario can isolate -------------------------------------------
#
# null-attach and unmap-early-return sit on paths no modelled driver takes; xe-remap-leak is reached,
# but every posted IOV map also leaks its dma_buf_ranges, and a scenario compares finding kinds only.
# So each is tested here directly (see the module docstring of dmabuf_lab/revisions/rfc_v1.py).

def _runs_of_every_rfc_v1_scenario(target):
    out = {}
    for path in sorted(LITMUS.glob("*.toml")):
        sc = load_scenario(path)
        if any(t.split(":")[0] == "rfc-v1" for t in sc.targets()):
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)
            out[sc.name] = (v.outcome, sorted((f.kind, f.site, f.message) for f in v.findings))
    return out


@pytest.mark.parametrize("bug", ["null-attach", "unmap-early-return"])
def test_no_scenario_reaches_the_core_only_bugs(bug):
    """No driver hands dma_buf_{map,unmap}_interconnect() a NULL attachment, and xe (their only
    caller with ranges to give back) unmaps before it clears allow_ic, against vfio, which has an
    unmap op: fixing either bug alone changes no scenario's run at all.  If this fails, a driver
    path now reaches the bug: give it a scenario and update the docstrings."""
    posted = _runs_of_every_rfc_v1_scenario("rfc-v1")
    assert len(posted) >= 20
    assert _runs_of_every_rfc_v1_scenario(f"rfc-v1:fix-{bug}") == posted


def test_xe_error_unwind_unmaps_with_allow_ic_still_set():
    """The one xe call of dma_buf_unmap_interconnect(): xe_bo_xarray_to_dma_addr() failed (only
    -ENOMEM can make it fail as posted).  Patch 7 calls it before `attach->allow_ic = allow_ic`,
    so even the posted early return is not taken: failing each allocation of the run in turn
    gives the same result posted and with fix-unmap-early-return."""
    sc = load_scenario(LITMUS / "rfc-v1-xe-pf-imports-own-vf.toml")
    base = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, "rfc-v1")
    sites = base.alloc_sites
    dpa = [i for i, s in enumerate(sites, 1) if s.endswith("xe_bo_xarray_to_dma_addr")]
    assert len(dpa) == 1                                     # one map, one DPA array
    for i in range(1, base.nr_allocs + 1):
        got = []
        for t in ("rfc-v1", "rfc-v1:fix-unmap-early-return"):
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, t, fail_nth=i)
            got.append((v.outcome, sorted((f.kind, f.site) for f in v.findings)))
        assert got[0] == got[1], (i, sites[i - 1], got)
    # the DPA array failing: xe gives the ranges back (nothing from the IOV map leaks) and falls
    # back to the sg_table, whose only leak is 6.19's inherited sg-helper chunk
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, "rfc-v1", fail_nth=dpa[0])
    assert v.outcome == "sgt-p2p"
    assert not [f for f in v.findings if "dma_buf_ranges" in f.message or "range_" in f.message]


def test_null_attachment_in_unmap_oopses_as_posted_and_warns_when_fixed():
    with Kernel(), variant("posted"):
        r = dma_buf_ranges()
        with pytest.raises(Oops):
            dma_buf_unmap_interconnect(None, r)
    with Kernel() as k, variant("fix-null-attach"):
        assert dma_buf_unmap_interconnect(None, dma_buf_ranges()) is None
    assert [f.kind for f in k.findings] == ["warn"]


@pytest.mark.parametrize("v, kinds", [("posted", ["leak"]), ("fix-unmap-early-return", [])])
def test_unmap_when_the_exporter_has_no_unmap_op(v, kinds):
    """Patch 1: `if (!ic_ops || !ic_ops->unmap_interconnect) return;` comes before xa_destroy and
    kfree, so the core's own dma_buf_ranges leaks (the exporter stored nothing here)."""
    calls = []

    def map_ic(attach, ranges):
        calls.append("map")
        return 0

    ops = dma_buf_ops_ic(interconnect_ops=dma_buf_interconnect_ops(map_interconnect=map_ic))
    with Kernel() as k, variant(v):
        a = _attach(ops)
        r = _locked_map(a)
        assert not IS_ERR(r) and calls == ["map"]
        dma_resv_lock(a.dmabuf.resv)
        dma_buf_unmap_interconnect(a, r)
        dma_resv_unlock(a.dmabuf.resv)
    assert sorted({f.kind for f in k.findings}) == kinds
    if kinds:
        assert all("dma_buf_ranges" in f.message for f in k.findings)


def _leaks_by_what(target, steps):
    from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec
    exp = ExporterSpec("vfio-pci", VF1, 2, ((0x0, 2 * MiB),))
    imp = ImporterSpec("xe", PF)
    v = run_once(load_topology("xe-sriov-8vf"), exp, imp, steps, target)
    assert v.outcome == "iov", v.detail
    what = {"ranges": "struct dma_buf_ranges", "range array": "x range_", "DPA array": "x drm_pagemap_addr",
            "LMEM reference": "(xe_bo_get) never dropped"}
    count = {w: sum(needle in f.message for f in v.findings if f.kind == "leak") for w, needle in what.items()}
    return v.finding_kinds, count


def test_remap_leak_is_masked_by_the_ranges_leak():
    """Patch 7, one 2 MiB range of VF1, validated twice around a vfio reset (move):

    posted: each map allocates a dma_buf_ranges and vfio's one-entry range array that xe never
    gives back (xe-ranges-leak): 2 + 2; the second map overwrites dma_data, so the first DPA array
    and one of the two xe_bo_get() references are lost while delete_mem_notify frees and puts the
    second: 1 + 1.  fix-xe-remap-leak frees the first before mapping again: 0 + 0, the ranges
    leaks stay, so the finding kinds (all a scenario compares) are the same.
    """
    steps = ("attach", "map", "move", "map", "unmap", "detach")
    kinds, posted = _leaks_by_what("rfc-v1", steps)
    assert posted == {"ranges": 2, "range array": 2, "DPA array": 1, "LMEM reference": 1}
    fkinds, fix = _leaks_by_what("rfc-v1:fix-xe-remap-leak", steps)
    assert fix == {"ranges": 2, "range array": 2, "DPA array": 0, "LMEM reference": 0}
    assert kinds == fkinds == ["leak"]
    # one map only: nothing to overwrite, the two variants leak the same
    one = ("attach", "map", "unmap", "detach")
    assert _leaks_by_what("rfc-v1", one) == _leaks_by_what("rfc-v1:fix-xe-remap-leak", one)
    assert _leaks_by_what("rfc-v1", one)[1] == {"ranges": 1, "range array": 1, "DPA array": 0,
                                                "LMEM reference": 0}
