"""xe and the dma-buf core against their published source: the 6.19 pin on map,
the 7.x move's order, the branch's match list, the RFC's renamed wrapper and
the helper the 2026 plan names.  Expected values are read off the C (see
docs/sources.md [xe-dma-buf], [dma-buf-core-trees], [mapping-types-branch],
[mapping-types-plan]), not from the model."""
from __future__ import annotations

import pytest

from dmabuf_lab.core.dma_buf_7_3 import dma_buf_invalidate_mappings
from dmabuf_lab.drivers.xe.bo import XE_PL_TT, XE_PL_VRAM0, xe_bo, xe_bo_migrate
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.drivers.xe.mainline_7_1 import XeExporter73
from dmabuf_lab.findings.registry import load_findings
from dmabuf_lab.kmodel import EBUSY, EINVAL
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import default_litmus_dir, load_scenario
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

TOPO = "gpu-nic-same-switch"
NIC = ImporterSpec("rdma", "0000:04:00.0", True)


def xe_spec(**options) -> ExporterSpec:
    return ExporterSpec("xe", "0000:03:00.0", None, (), {"size": 0x400000, **options})


# --- 6.19: dma_buf_pin_on_map() pins a dynamic importer when the option is off ---------

@pytest.mark.parametrize("migratable, config, expected", [
    (False, None, "-EINVAL"),      # xe_dma_buf_pin -> xe_bo_migrate(TT) on a VRAM-only BO
    (True, None, "sgt"),           # pinned in TT: system pages
    (True, True, "sgt-p2p"),       # CONFIG_DMABUF_MOVE_NOTIFY=y: no pin, VRAM through the BAR
    (False, True, "sgt-p2p"),
])
def test_619_default_config_pins_a_dynamic_importer_of_xe(migratable, config, expected):
    opts = {"migratable": migratable}
    if config is not None:
        opts["dmabuf_move_notify"] = config
    v = run_once(TOPO, xe_spec(**opts), NIC, revision="mainline-6.19")
    assert v.outcome == expected, v.detail
    assert v.findings == []


@pytest.mark.parametrize("migratable", [False, True])
def test_7x_never_pins_a_dynamic_importer(migratable):
    v = run_once(TOPO, xe_spec(migratable=migratable), NIC, revision="mainline-7.3-rc6")
    assert v.outcome == "sgt-p2p"


def test_xe_bo_migrate_order_of_checks():
    bo = xe_bo(pdev=None, size=0x1000, lmem=None, placement=XE_PL_VRAM0, can_migrate_tt=False)
    assert xe_bo_migrate(bo, XE_PL_VRAM0) == 0           # already there
    assert xe_bo_migrate(bo, XE_PL_TT) == -EINVAL        # TT not a placement
    bo.can_migrate_tt, bo.pin_count = True, 1
    assert xe_bo_migrate(bo, XE_PL_TT) == -EBUSY         # pinned: tested before the placements
    bo.pin_count = 0
    assert xe_bo_migrate(bo, XE_PL_TT) == 0 and bo.placement == XE_PL_TT


# --- 7.x: the move is 6.19's with the renamed notification ---------------------------------

def test_7x_move_is_619_move_with_invalidate_mappings():
    assert XeExporter73.move is XeExporter.move
    assert XeExporter73.notify is dma_buf_invalidate_mappings


def test_7x_move_race_matches_619():
    """An importer that only queues its unmap reaches the old placement under both kernels."""
    from dmabuf_lab.litmus.explorer import explore

    sc = load_scenario(default_litmus_dir() / "race-xe-move-deferred-unmap.toml")
    for rev in ("mainline-6.19", "mainline-7.3-rc6"):
        assert explore(sc, rev).verdicts().get("use-after-revoke") == "sometimes", rev


# --- the March 2026 branch: SGT_P2P under a deleted Kconfig symbol ------------------------

@pytest.mark.parametrize("migratable, posted, fixed", [(True, "sgt", "sgt-p2p"), (False, "-EINVAL", "sgt-p2p")])
def test_branch_xe_never_offers_sgt_p2p(migratable, posted, fixed):
    spec = xe_spec(migratable=migratable, dmabuf_move_notify=True)    # not read: the symbol is gone
    assert run_once(TOPO, spec, NIC, revision="mapping-types-2026-03").outcome == posted
    v = run_once(TOPO, spec, NIC, revision="mapping-types-2026-03:fix-xe-sgt-p2p-dead-config")
    assert v.outcome == fixed


# --- RFC patch 20/26: dma_buf_sgt_dynamic_attach() -----------------------------------------

@pytest.mark.parametrize("rev", ["mapping-types-2026-02", "mapping-types-2026-03"])
def test_rfc_null_ops_crash_names_the_renamed_wrapper(rev):
    sc = load_scenario(default_litmus_dir() / "bug-dynamic-attach-null-ops.toml")
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, rev)
    assert v.outcome == "crash"
    assert "dma_buf_sgt_dynamic_attach" in v.detail


def test_findings_name_the_renamed_wrapper_and_the_deferred_free_order():
    by_id = {f.id: f for f in load_findings()}
    assert by_id["mt-dynamic-attach-null-ops"].function == "dma_buf_sgt_dynamic_attach"
    what = by_id["vfio-export-fd-double-free"].what
    # the unwind frees priv before the deferred release reads it
    assert "deferred" in what and what.index("unwind") < what.index("release")


# --- the 2026 plan: the converter it names, as merged --------------------------------------

@pytest.mark.parametrize("target, leaks", [
    ("mapping-types-2026-05:step1", True), ("mapping-types-2026-05:step2", True),
    ("mapping-types-2026-05:step3", True), ("mapping-types-2026-05", True),
    ("mapping-types-2026-05:fixed", False),
])
def test_plan_steps_run_dma_buf_phys_vec_to_sgt_as_merged(target, leaks):
    sc = load_scenario(default_litmus_dir() / "review-plan-vfio-to-sgt-importer.toml")
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)
    assert v.outcome == "sgt-p2p"
    assert ("leak" in {f.kind for f in v.findings}) == leaks


@pytest.mark.parametrize("static", [True, False])
def test_rfc_sgt_map_of_a_static_importer_waits_for_kernel_fences(static):
    """The branch's dma_buf_sgt_map_attachment(): only a static attachment waits
    for the KERNEL fences; with nobody to signal one the wait never returns."""
    from types import SimpleNamespace

    from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
    from dmabuf_lab.kmodel import Kernel, dma_resv, dma_resv_lock, dma_resv_unlock
    from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_KERNEL, dma_fence, dma_resv_add_fence
    from dmabuf_lab.revisions import mapping_types_2026_02 as mt

    ops = mt.dma_buf_mapping_sgt_exp_ops(map_dma_buf=lambda a, d: sg_table_from_ranges([(0x1000_0000, 0x1000)]),
                                         unmap_dma_buf=lambda a, s, d: sg_table_free(s))
    with Kernel() as k:
        resv = dma_resv()
        attach = SimpleNamespace(dmabuf=SimpleNamespace(resv=resv, ops=SimpleNamespace(pin=None)), nr_mappings=0,
                                 importer_ops=None if static else object(),
                                 map_type=SimpleNamespace(type=mt.dma_buf_mapping_sgt_type, exp_ops=ops))
        dma_resv_lock(resv)
        dma_resv_add_fence(resv, dma_fence("exporter move"), DMA_RESV_USAGE_KERNEL)
        sgt = mt.dma_buf_map_attachment(attach, 0)
        mt.dma_buf_unmap_attachment(attach, sgt, 0)
        dma_resv_unlock(resv)
    waits = [f for f in k.findings if "dma_resv_wait_timeout" in f.message]
    assert len(waits) == (1 if static else 0)


# --- the branch's core pins a static importer; the branch's xe pins in system memory --------

def _branch_xe_static(steps):
    """Export a branch xe BO, attach a static importer (dma_buf_sgt_attach), map, then ``steps``."""
    from dmabuf_lab.drivers import registry
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.kmodel import IS_ERR, Kernel, dma_resv_lock, dma_resv_unlock
    from dmabuf_lab.revisions import get_revision
    from dmabuf_lab.revisions import mapping_types_2026_02 as mt
    from dmabuf_lab.revisions.base import Session, session_scope

    s = Session(load_topology(TOPO), xe_spec(), NIC,
                get_revision("mapping-types-2026-03"), "posted")
    seen = {}
    with Kernel() as k, session_scope(s):
        exp = registry.make_exporter(s)
        buf = exp.export()
        attach = mt.dma_buf_attach(buf, s.topology.device(NIC.device))
        dma_resv_lock(buf.resv)
        sgt = mt.dma_buf_map_attachment(attach, 0)
        dma_resv_unlock(buf.resv)
        seen["map"] = sgt if IS_ERR(sgt) else "sgt"
        seen["pinned"], seen["placement"] = exp.bo.pin_count, exp.bo.placement
        if "move" in steps:
            from dmabuf_lab.drivers.xe.mainline_6_19 import xe_bo_move_body
            seen["move"] = xe_bo_move_body(exp, mt.dma_buf_move_notify)
        if not IS_ERR(sgt):
            dma_resv_lock(buf.resv)
            mt.dma_buf_unmap_attachment(attach, sgt, 0)
            dma_resv_unlock(buf.resv)
        seen["after_unmap"] = exp.bo.pin_count
        mt.dma_buf_detach(buf, attach)
        exp.release()
    return seen, k.findings


def test_branch_core_pins_a_static_importer_of_xe_in_system_memory():
    """169394c2e408: dma_buf_pin_on_map() is `ops->pin && !dynamic`; xe_dma_buf_pin() without
    an all-P2P attachment list migrates to XE_PL_TT and pins; unmap unpins."""
    seen, findings = _branch_xe_static(["move"])
    assert seen["map"] == "sgt" and seen["pinned"] == 1 and seen["placement"] == XE_PL_TT
    assert seen["move"] == -EINVAL              # xe_bo_move_notify(): a pinned BO does not move
    assert seen["after_unmap"] == 0
    assert findings == [], [str(f) for f in findings]


def test_branch_xe_pin_order_of_checks():
    """169394c2e408 xe_dma_buf_pin(): a BO pinned outside TT (and not VRAM with P2P for all)
    is refused before any migration; otherwise the migration's error is returned."""
    from types import SimpleNamespace

    from dmabuf_lab.drivers.xe.mapping_types_2026_03 import xe_dma_buf_pin

    def attach_of(bo):
        return SimpleNamespace(dmabuf=SimpleNamespace(priv=bo, attachments=[]),
                               map_type=SimpleNamespace(type=None))     # not SGT P2P

    bo = xe_bo(pdev=None, size=0x1000, lmem=None, placement=XE_PL_VRAM0, can_migrate_tt=True, pin_count=1)
    assert xe_dma_buf_pin(attach_of(bo)) == -EINVAL and bo.pin_count == 1
    bo = xe_bo(pdev=None, size=0x1000, lmem=None, placement=XE_PL_VRAM0, can_migrate_tt=False)
    assert xe_dma_buf_pin(attach_of(bo)) == -EINVAL and bo.pin_count == 0   # xe_bo_migrate(TT)
    bo = xe_bo(pdev=None, size=0x1000, lmem=None, placement=XE_PL_VRAM0, can_migrate_tt=True)
    assert xe_dma_buf_pin(attach_of(bo)) == 0 and (bo.placement, bo.pin_count) == (XE_PL_TT, 1)
