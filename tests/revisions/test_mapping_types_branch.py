"""vfio-pci in the mapping-type RFC and in the March 2026 branch (jgunthorpe/linux 29ddc7d35bb9):
Jason Gunthorpe's 2026-04-13 match_mapping lock fix, and the revoke series' kref the branch
carries (what a revoke leaves behind for a PAL map and for the device close)."""
from __future__ import annotations

import pytest

from dmabuf_lab.drivers import registry
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import Kernel, kzalloc
from dmabuf_lab.revisions import get_revision
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Session, session_scope

VF, BAR, RANGE = "0000:03:00.2", 2, ((0x0, 0x200000),)


def _session(target: str) -> Session:
    rev, _, variant = target.partition(":")
    return Session(load_topology("xe-sriov-8vf"), ExporterSpec("vfio-pci", VF, BAR, RANGE),
                   ImporterSpec("iommufd"), get_revision(rev), variant or "posted")


def _match_after_close(target: str):
    """Export, close the device (cleanup clears priv->vdev), then run match_mapping for a PAL importer."""
    core = get_revision(target.split(":")[0]).module
    from importlib import import_module
    mt = import_module(f"dmabuf_lab.revisions.{core}")
    s = _session(target)
    with Kernel() as k, session_scope(s):
        exp = registry.make_exporter(s)
        buf = exp.export()
        exp.close_device()
        args = kzalloc(mt.dma_buf_match_args)
        args.dmabuf = buf
        args.attach = kzalloc(mt.dma_buf_attachment_mt)
        args.imp_matches = mt.match_list(mt.DMA_BUF_IMAPPING_PAL())
        args.imp_len = 1
        ret = buf.ops.match_mapping(args)
        kind = mt.mapping_kind(args.attach) if ret == 0 else None
        exp.release()
    return ret, kind, k.findings


@pytest.mark.parametrize("rev", ["mapping-types-2026-02", "mapping-types-2026-03"])
def test_posted_match_asserts_the_lock_and_refuses_after_cleanup(rev):
    ret, _, findings = _match_after_close(rev)
    assert ret == -19                                   # -ENODEV: priv->vdev is gone
    assert any(f.kind == "lock" and "dma_resv_assert_held" in f.message for f in findings)


@pytest.mark.parametrize("rev", ["mapping-types-2026-02", "mapping-types-2026-03"])
def test_jasons_fix_matches_through_its_own_pci_dev_reference(rev):
    """<20260413130147.GG2588311@nvidia.com>: no assertion and no priv->vdev test, so the
    match still succeeds after cleanup (attach's revoked test is what refuses then)."""
    ret, kind, findings = _match_after_close(f"{rev}:fix-vfio-match-lock")
    assert ret == 0 and kind == "pal"
    assert not [f for f in findings if f.kind == "lock"]


def _branch_run(target: str, steps, *, keep_unpin: bool = False):
    """Run exporter-side steps on a branch export with an iommufd PAL importer attached and mapped.

    The branch's iommufd unpins after dropping the reservation lock at release (bug
    iommufd-unpin-lock, checked on its own below); its finding is left out unless ``keep_unpin``."""
    s = _session(target)
    with Kernel() as k, session_scope(s):
        exp = registry.make_exporter(s)
        imp = registry.make_importer(s)
        buf = exp.export()
        imp.attach(buf)
        for step in steps:
            {"map": imp.map, "revoke": exp.revoke, "reenable": exp.reenable,
             "close": exp.close_device, "unmap": imp.unmap}[step]()
        refcount = buf.priv.kref.refcount
        imp.teardown()
        exp.release()
    findings = [f for f in k.findings if keep_unpin or "dma_buf_unpin" not in f.site]
    return refcount, findings


def test_branch_pal_list_holds_a_reference_and_the_revoke_gets_it_back():
    refcount, findings = _branch_run("mapping-types-2026-03:fix-vfio-match-lock", ["map"])
    assert refcount == 2 and findings == []
    # the notification gives the list back, so revoke's wait ends; nothing re-arms the kref
    refcount, findings = _branch_run("mapping-types-2026-03:fix-vfio-match-lock", ["map", "revoke"])
    assert refcount == 0 and findings == []


def test_branch_pal_map_after_revoke_takes_a_reference_on_zero():
    refcount, findings = _branch_run("mapping-types-2026-03:fix-vfio-match-lock", ["revoke", "map"])
    warns = [f.message for f in findings if f.kind == "warn"]
    assert any("addition on 0; use-after-free" in m for m in warns), warns
    assert any(f.kind == "use-after-revoke" for f in findings)
    # fixed: the map is refused before any reference is taken
    refcount, findings = _branch_run("mapping-types-2026-03:fixed", ["revoke"])
    assert refcount == 1 and findings == []


def test_branch_close_after_revoke_underflows_and_never_returns():
    _, findings = _branch_run("mapping-types-2026-03:fix-vfio-match-lock", ["map", "revoke", "close"])
    kinds = [f.kind for f in findings]
    assert "warn" in kinds and "lock" in kinds, [str(f) for f in findings]
    assert any("underflow" in f.message for f in findings if f.kind == "warn")
    assert any("wait_for_completion" in f.message and "never return" in f.message
               for f in findings if f.kind == "lock")


def test_branch_close_after_revoke_is_clean_with_the_rearm_fix():
    _, findings = _branch_run("mapping-types-2026-03:fixed", ["map", "revoke", "close"])
    assert findings == [], [str(f) for f in findings]


def test_branch_close_without_revoke_waits_for_the_list_and_returns():
    _, findings = _branch_run("mapping-types-2026-03:fix-vfio-match-lock", ["map", "close"])
    assert findings == [], [str(f) for f in findings]


@pytest.mark.parametrize("target", ["mapping-types-2026-02:fixed", "mapping-types-2026-03:fixed"])
def test_iommufd_revoke_gives_the_pal_list_back_at_once(target):
    """RFC 23/26 and the branch's pages.c (12e7f38a26d8): iopt_revoke_notify() calls
    dma_buf_pal_unmap_phys() on the list it holds; release gives back only a list still held."""
    from dmabuf_lab.kmodel import is_freed
    s = _session(target)
    with Kernel() as k, session_scope(s):
        exp = registry.make_exporter(s)
        imp = registry.make_importer(s)
        buf = exp.export()
        imp.attach(buf)
        imp.map()
        held = imp.exp_phys
        exp.revoke()
        assert imp.exp_phys is None and is_freed(held)
        exp.revoke()                      # a second notification finds the pages revoked: nothing to give
        imp.teardown()
        exp.release()
    assert k.findings == [], [str(f) for f in k.findings]


@pytest.mark.parametrize("target", ["mapping-types-2026-03:fix-vfio-match-lock", "mapping-types-2026-03:fixed"])
def test_branch_restore_invalidates_the_importers_too(target, monkeypatch):
    """29ddc7d35bb9's vfio_pci_dma_buf_move() calls dma_buf_invalidate_mappings() and waits
    for fences inside `priv->revoked != revoked` for both directions, so turning decoding back
    on notifies the importer a second time (as mainline's 7.x move does, posted or fixed)."""
    from dmabuf_lab.drivers.iommufd.mapping_types_2026_02 import IommufdPalImporter
    calls = []
    original = IommufdPalImporter.iopt_revoke_notify

    def counting(self, attach):
        calls.append(attach)
        return original(self, attach)

    monkeypatch.setattr(IommufdPalImporter, "iopt_revoke_notify", counting)
    _branch_run(target, ["map", "revoke"])
    after_revoke = len(calls)
    calls.clear()
    _branch_run(target, ["map", "revoke", "reenable"])
    assert after_revoke == 1
    assert len(calls) == 2, len(calls)


def test_egm_walks_its_buffer_list_under_dmabuf_lock(monkeypatch):
    """ankita-nv/linux 35fb3d7c0741: nvgrace_egm_dma_buf_cleanup() holds egm_chardev->dmabuf_lock
    across its walk (so the importer is notified with it held), and release and export take it
    around their list update."""
    from dmabuf_lab.drivers.iommufd.mapping_types_2026_02 import IommufdPalImporter
    held = []
    original = IommufdPalImporter.iopt_revoke_notify

    def watching(self, attach):
        held.append(attach.dmabuf.priv.egm_chardev is None and exp.cdev.dmabuf_lock.owner is not None)
        return original(self, attach)

    monkeypatch.setattr(IommufdPalImporter, "iopt_revoke_notify", watching)
    s = Session(load_topology("gpu-nic-same-switch"), ExporterSpec("nvgrace-egm", None, None, ((0x0, 0x200000),)),
                ImporterSpec("iommufd"), get_revision("mapping-types-2026-02"), "fixed")
    with Kernel() as k, session_scope(s):
        exp = registry.make_exporter(s)
        imp = registry.make_importer(s)
        buf = exp.export()
        assert exp.cdev.dmabuf_lock.owner is None and exp.cdev.dmabufs == [buf.priv]
        imp.attach(buf)
        imp.map()
        exp.revoke()
        assert held == [True]
        assert exp.cdev.dmabuf_lock.owner is None
        imp.teardown()
        exp.release()
    assert k.findings == [], [str(f) for f in k.findings]


@pytest.mark.parametrize("target, unpin_findings", [
    ("mapping-types-2026-03:fix-vfio-match-lock", 1), ("mapping-types-2026-03:fix-iommufd-unpin-lock", 0),
    ("mapping-types-2026-03:fixed", 0)])
def test_branch_iommufd_unpins_after_dropping_the_lock(target, unpin_findings):
    """12e7f38a26d8 iopt_release_pages(): dma_resv_unlock() comes before dma_buf_unpin(), whose
    dma_resv_assert_held() then fires; e745cd2c749e's shape (the fix) unpins inside the lock."""
    _, findings = _branch_run(target, ["map"], keep_unpin=True)
    unpin = [f for f in findings if f.kind == "lock" and "dma_buf_unpin" in f.site]
    assert len(unpin) == unpin_findings, [str(f) for f in findings]
