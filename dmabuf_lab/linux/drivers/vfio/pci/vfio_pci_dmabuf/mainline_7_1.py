"""vfio_pci_dmabuf.c in Linux 7.1: what changed since 6.19 that the older twins lack.

The bulk of the 7.1 file (the revoke series, the double-free fix) is
:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common`, read at the v7.1-rc4 merge.
This module adds, as patches over it:

* 702809dabdec "vfio/pci: Check BAR resources before exporting a DMABUF"
  (Matt Evans, CVE-2026-64042): the ioctl returns -ENODEV unless
  ``vfio_pci_core_setup_barmap()`` says the BAR's window was claimed and
  mapped when the device was opened (05f2a68b407a).  Without it a BAR whose
  window another driver holds, or that vfio never claimed, is exported and
  an importer's DMA reaches a window vfio does not own.
* The revoke as first merged for 7.1-rc1 (1a8a5227f229 with 6ffe939bf94f),
  before c64a647c84f3 "vfio/pci: fix dma-buf kref underflow after revoke"
  (Alex Williamson, 7.1-rc): restore re-initialises the kref and the
  completion, and cleanup drains every buffer itself, revoked or not.  No
  release carries it; mode ``rc1`` of ``mainline-7.1`` runs it.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_invalidate_mappings
from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.drivers.vfio_pci_dmabuf import (_list_del, _vfio_pci_dma_buf_export,
                                                _vfio_pci_dma_buf_install_fd, _vfio_pci_dma_buf_link,
                                                feature_dma_buf_prepare, vfio_device_feature_dma_buf,
                                                vfio_device_put_registration)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common import (kref_init, kref_put, reinit_completion,
                                                    vfio_pci_dma_buf_7_3, vfio_pci_dmabuf_ops,
                                                    vfio_pci_dmabuf_ops_fixed, wait_for_completion)
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.kmodel.sched import shared_read
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_rdwr.mainline_7_1 import vfio_pci_core_setup_barmap
from dmabuf_lab.twins import mirrors

_PIN = "gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c"
_GAP = "the v7.1-rc4 merge, the newest copy before the 7.1 tag; no later vfio dma-buf commit before v7.1 is known"
_RC1 = "posting:vfio-kref-rearm:drivers/vfio/pci/vfio_pci_dmabuf.c"
_RC1_GAP = ("the code before c64a647c84f3, read from the removed and context lines of its posted diff; "
            "no stored tree at 7.1-rc1..rc3")


def _export_dma_buf(vdev, flags: int, get_dma_buf: vfio_device_feature_dma_buf, bar_check, *,
                   fixed_helper: bool = False) -> int:
    """The 7.1 ioctl with the release's BAR check ``bar_check`` (see the twins below)."""
    ret, priv = feature_dma_buf_prepare(vdev, flags, get_dma_buf, vfio_pci_dma_buf_7_3, bar_check=bar_check)
    if priv is None:
        return ret
    ops = vfio_pci_dmabuf_ops_fixed if fixed_helper else vfio_pci_dmabuf_ops
    ret = _vfio_pci_dma_buf_export(vdev, priv, ops, get_dma_buf.open_flags)
    if ret:
        return ret
    kref_init(priv)
    reinit_completion(priv)
    _vfio_pci_dma_buf_link(vdev, priv)
    return _vfio_pci_dma_buf_install_fd(vdev, priv, get_dma_buf.open_flags, faithful=False)  # e98137f0a874


@mirrors(f"{_PIN}:vfio_pci_core_feature_dma_buf", gap=_GAP)
def vfio_pci_core_feature_dma_buf(vdev, flags: int, get_dma_buf: vfio_device_feature_dma_buf,
                                  *, fixed_helper: bool = False) -> int:
    """VFIO_DEVICE_FEATURE_DMA_BUF in 7.1: an fd or -errno.  -ENODEV for a region
    past the BARs or a BAR whose set-up at open failed (702809dabdec)."""
    return _export_dma_buf(vdev, flags, get_dma_buf, vfio_pci_core_setup_barmap, fixed_helper=fixed_helper)


def _wait_for_completion(priv) -> None:
    """wait_for_completion() takes the ``done`` count that complete() gave: a second
    wait on the same completion sleeps until someone completes it again.  (The
    re-arming form never waits twice, so its helper need not consume.)"""
    wait_for_completion(priv)
    priv.comp_done = False


@mirrors(f"{_RC1}:vfio_pci_dma_buf_move", gap=_RC1_GAP)
def vfio_pci_dma_buf_move_rc1(vdev, revoked: bool) -> None:
    """memory_lock held for write.  For a buffer whose state changes: under the
    reservation lock set ``revoked`` (revoke only), invalidate, wait for fences.
    Revoke then puts the registered reference and waits for the completion, and
    leaves both consumed; restore re-initialises them and clears ``revoked``."""
    shared_read(vdev, "dmabufs")
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        if priv.revoked != revoked:
            dma_resv_lock(priv.dmabuf.resv)
            if revoked:
                priv.revoked = True
            dma_buf_invalidate_mappings(priv.dmabuf)
            dma_resv_wait_timeout(priv.dmabuf.resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)
            dma_resv_unlock(priv.dmabuf.resv)
            if revoked:
                kref_put(priv)
                _wait_for_completion(priv)
            else:
                kref_init(priv)
                reinit_completion(priv)
                dma_resv_lock(priv.dmabuf.resv)
                priv.revoked = False
                dma_resv_unlock(priv.dmabuf.resv)
        fput(priv.dmabuf.file)


@mirrors(f"{_RC1}:vfio_pci_dma_buf_cleanup", gap=_RC1_GAP)
def vfio_pci_dma_buf_cleanup_rc1(vdev) -> None:
    """Device close, memory_lock for write: every live buffer is unlinked and drained
    here, revoked or not: invalidate, wait for fences, put the registered
    reference, wait for the completion.  After a revoke the put finds 0 (refcount
    underflow) and the wait finds the completion consumed (never returns)."""
    down_write(vdev.memory_lock)
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        dma_resv_lock(priv.dmabuf.resv)
        _list_del(vdev.dmabufs, priv)
        priv.vdev = None
        priv.revoked = True
        dma_buf_invalidate_mappings(priv.dmabuf)
        dma_resv_wait_timeout(priv.dmabuf.resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)
        dma_resv_unlock(priv.dmabuf.resv)
        kref_put(priv)
        _wait_for_completion(priv)
        vfio_device_put_registration(vdev)
        fput(priv.dmabuf.file)
    up_write(vdev.memory_lock)
