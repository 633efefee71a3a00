"""Races of the vfio-pci twins against their published source: closing the device while
an importer runs DMA, closing after a revoke in the March 2026 branch, and an export
racing a revoke (memory_lock)."""
from __future__ import annotations

from pathlib import Path

from dmabuf_lab.drivers import vfio_pci_dmabuf as v619
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.litmus.explorer import explore
from dmabuf_lab.litmus.scenario import load_scenario

LITMUS = Path(__file__).resolve().parents[2] / "litmus"


def test_619_close_lets_a_job_reach_the_disabled_function_and_7x_does_not():
    sc = load_scenario(LITMUS / "race-vfio-close-vs-dma.toml")
    before = explore(sc, "mainline-6.19")
    assert before.verdict("use-after-revoke") == "sometimes"
    ex = before.shortest["use-after-revoke"]
    labels = [op.label for _, op in ex.trace]
    # vfio_pci_core_disable() wrote PCI_COMMAND before the DMA landed
    off = next(i for i, lab in enumerate(labels) if "PCI_COMMAND_MEMORY" in lab)
    dma = next(i for i, lab in enumerate(labels) if "DMA to" in lab)
    assert off < dma
    assert explore(sc, "mainline-7.3-rc6").verdict("use-after-revoke") == "never"


def test_branch_close_after_revoke_hangs_and_the_rearm_fix_does_not():
    sc = load_scenario(LITMUS / "race-vfio-close-after-revoke.toml")
    posted = explore(sc, "mapping-types-2026-03")
    assert posted.verdict("deadlock") == "always" and posted.verdict("warn") == "always"
    msg = posted.shortest["deadlock"].properties["deadlock"]
    assert "wait_for_completion" in msg and "never finishes" in msg
    fixed = explore(sc, "mapping-types-2026-03:fix-cleanup-after-revoke")
    assert fixed.verdict("deadlock") == "never" and fixed.verdict("warn") == "never"


def _link_without_memory_lock(vdev, priv) -> None:
    """The export's link as the lab had it before: the reservation lock only."""
    from dmabuf_lab.kmodel.sched import shared_read, shared_write
    dma_resv_lock(priv.dmabuf.resv)
    shared_read(vdev, "PCI_COMMAND_MEMORY")
    priv.revoked = not vdev.memory_enabled
    shared_write(vdev, "dmabufs")
    vdev.dmabufs.append(priv)
    dma_resv_unlock(priv.dmabuf.resv)


def test_export_racing_a_revoke_is_ordered_by_memory_lock(monkeypatch):
    sc = load_scenario(LITMUS / "race-vfio-export-vs-revoke.toml")
    assert explore(sc, "mainline-6.19").verdict("use-after-revoke") == "never"
    # without memory_lock the new buffer can miss the revoke's walk and still read decoding on
    monkeypatch.setattr(v619, "_vfio_pci_dma_buf_link", _link_without_memory_lock)
    res = explore(sc, "mainline-6.19")
    assert res.verdict("use-after-revoke") == "sometimes"
    assert "not revoked while memory decoding is off" in res.shortest["use-after-revoke"].properties[
        "use-after-revoke"]
