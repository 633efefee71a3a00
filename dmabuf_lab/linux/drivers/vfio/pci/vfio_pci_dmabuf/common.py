"""vfio-pci's MMIO dma-buf exporter after the revoke series and the double-free fix (7.1, 7.2, 7.3-rc6 and the 2026-05 plan share it).

drivers/vfio/pci/vfio_pci_dmabuf.c as read at the v7.1-rc4 merge (the
newest state of this file the lab could tie to mainline; nothing later in
it is modelled).  What differs from 6.19
(:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19`, whose pieces are reused):

* 1a8a5227f229 "vfio: Wait for dma-buf invalidation to complete": every
  buffer carries a ``kref`` (1 while registered, +1 per live mapping) and a
  ``completion``.  Revoke takes the reservation lock, sets ``revoked``,
  calls dma_buf_invalidate_mappings(), waits for every fence, drops the
  lock, drops the registered reference and sleeps in
  wait_for_completion() until every mapping vfio handed out is unmapped;
  then it re-arms the kref and the completion.  No timeout.
* "vfio: Permit VFIO to work with pinned importers": no pin/unpin ops any
  more; attach refuses an importer that is not revocable
  (dma_buf_attach_revocable(), -EOPNOTSUPP).
* e98137f0a874 "vfio/pci: Fix double free in dma-buf feature"
  (CVE-2026-31468): when dma_buf_fd() fails the ioctl puts the buffer and
  returns; the release callback alone frees ``priv``.
* cleanup() revokes through move() first, then unlinks each buffer.
* map goes through dma_buf_phys_vec_to_sgt() in the form of the release
  that runs it (:func:`helper_release`): 7.1 and 7.2 still carry the 6.19
  dma-buf-mapping.c; 06dd5e1ae8ce and b344ca94e8cc reached 7.3.

The fence wait is :func:`~dmabuf_lab.kmodel.fence.dma_resv_wait_timeout`
(importers add fences when they run DMA in concurrent scenarios; otherwise
there are none and it returns at once).  In a concurrent run the kref and
the completion are points where other threads may run, and the wait blocks
until the last unmap.  Not modelled: the export-time
vfio_pci_core_setup_barmap() check (the model's BARs are always claimed).

A wait that can never end (an importer that keeps a mapping) is reported
as a ``lock`` finding, since the real kernel would sleep forever there.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_attach_revocable, dma_buf_invalidate_mappings
from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.core.session import current_session
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.core.workqueue import flush_scheduled_work, pending_work
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (_list_del, _vfio_pci_dma_buf_export,
                                                _vfio_pci_dma_buf_install_fd, _vfio_pci_dma_buf_link,
                                                feature_dma_buf_prepare, vfio_device_feature_dma_buf,
                                                vfio_device_put_registration, vfio_pci_dma_buf,
                                                vfio_pci_dma_buf_iommufd_map, vfio_pci_dmabuf_ops_pair)
from dmabuf_lab.kmodel import (ENODEV, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held,
                               dma_resv_lock, dma_resv_unlock)
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.runtime import report
from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.kmodel.sched import atomic, current_scheduler, sched_point, shared_read
from dmabuf_lab.twins import mirrors

#: Releases whose dma-buf-mapping.c is still the 6.19 file: the two helper fixes
#: (06dd5e1ae8ce, b344ca94e8cc) first reached mainline in 7.3.
HELPER_6_19_RELEASES = ("mainline-7.1", "mainline-7.2")


def helper_release() -> str:
    """Which dma_buf_phys_vec_to_sgt() the running revision links against: ``"6.19"``
    for 7.1 and 7.2, ``"7.3"`` otherwise (7.3-rc6 and the proposals built on it)."""
    s = current_session()
    return "6.19" if s is not None and s.revision.name in HELPER_6_19_RELEASES else "7.3"


#: The tree this module was read in (the v7.1-rc4 merge).
_PIN = "gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c"


class vfio_pci_dma_buf_7_3(vfio_pci_dma_buf):
    """The 6.19 private object plus the kref and the completion of 1a8a5227f229
    (map, unmap and revoke touch both from different threads: announced)."""

    fields = (("kref", 0), ("comp_done", False))
    shared = ("kref", "comp_done")


# --- kref / completion -------------------------------------------------------------

def kref_init(priv) -> None:
    priv.kref = 1


def kref_get(priv) -> None:
    """One atomic increment (refcount_inc)."""
    with atomic(priv, "kref"):
        WARN_ON(priv.kref == 0, "kref_get on a zero refcount")
        priv.kref += 1


def kref_put(priv) -> None:
    """Drop one reference (one atomic decrement); the last one completes ``priv``'s completion."""
    with atomic(priv, "kref"):
        if WARN_ON(priv.kref == 0, "refcount_t: underflow; use-after-free"):
            return
        priv.kref -= 1
        last = priv.kref == 0
    if last:
        priv.comp_done = True              # vfio_pci_dma_buf_done(): complete()


def wait_for_completion(priv) -> None:
    """Sleep until every mapping is gone.

    While vfio sleeps the importers' deferred unmaps run
    (:func:`~dmabuf_lab.core.workqueue.flush_scheduled_work`); if the
    completion is still not done the kernel would never wake up.
    """
    flush_scheduled_work()
    s = current_scheduler()
    if s is not None and s.current() is not None:
        sched_point("wait", priv, False, "wait_for_completion(&priv->comp)", ready=lambda: priv.comp_done)
        return
    if not priv.comp_done:
        report("lock", f"vfio_pci_dma_buf_move: wait_for_completion() never returns: "
                       f"{priv.kref} mapping(s) of the buffer are never unmapped",
               "vfio_pci_dma_buf_move")


def reinit_completion(priv) -> None:
    priv.comp_done = False


# --- dma_buf_ops -----------------------------------------------------------------

@mirrors("gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_attach", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_attach(dmabuf, attachment) -> int:
    """6.19's checks (P2P, not revoked) plus: the importer must be revocable."""
    priv = dmabuf.priv
    if not attachment.peer2peer:
        return -EOPNOTSUPP
    if priv.revoked:
        return -ENODEV
    if not dma_buf_attach_revocable(attachment):
        return -EOPNOTSUPP
    return 0


@mirrors("gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_map", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_map(attachment, direction: int, *, faithful: bool = True):
    """Map (resv held): -ENODEV when revoked, else the release's helper; a mapping holds a kref.

    6.19's body with what 1a8a5227f229 added (the kref_get()); the helper is
    the one of the running release (:func:`helper_release`).
    """
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    sgt = dma_buf_phys_vec_to_sgt(attachment, priv.provider, priv.phys_vec, priv.nr_ranges,
                                  priv.size, direction, faithful=faithful, release=helper_release())
    if not IS_ERR(sgt):
        kref_get(priv)
    return sgt


@mirrors("gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_unmap", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_unmap(attachment, sgt, direction: int, *, faithful: bool = True) -> None:
    """Unmap (resv held): free the table and drop the mapping's kref."""
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    dma_buf_free_sgt(attachment, sgt, direction, faithful=faithful)
    kref_put(priv)


vfio_pci_dmabuf_ops, vfio_pci_dmabuf_ops_fixed = vfio_pci_dmabuf_ops_pair(
    "7.3", map_dma_buf=vfio_pci_dma_buf_map, unmap_dma_buf=vfio_pci_dma_buf_unmap,
    attach=vfio_pci_dma_buf_attach)

OPS = (vfio_pci_dmabuf_ops, vfio_pci_dmabuf_ops_fixed)


@mirrors("gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_iommufd_map", revisions=("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_iommufd_map_7_3(attachment, phys) -> int:
    """The vfio -> iommufd bridge, unchanged apart from recognising these ops.

    It takes no kref: the completion does not track iommufd, which unmaps
    synchronously inside its invalidate_mappings callback instead.
    """
    return vfio_pci_dma_buf_iommufd_map(attachment, phys, ops=OPS)


# --- export ------------------------------------------------------------------------

@mirrors("gregkh/linux@2519003dd5fb:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_core_feature_dma_buf(vdev, flags: int, get_dma_buf: vfio_device_feature_dma_buf,
                                  *, fixed_helper: bool = False) -> int:
    """VFIO_DEVICE_FEATURE_DMA_BUF after e98137f0a874: an fd or -errno.

    The checks and the preparation are 6.19's; the new buffer's kref and
    completion are armed after the export; a failing dma_buf_fd() puts
    the buffer and returns (the release callback frees ``priv``).
    """
    ret, priv = feature_dma_buf_prepare(vdev, flags, get_dma_buf, vfio_pci_dma_buf_7_3)
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


# --- revoke ----------------------------------------------------------------------

@mirrors(f"{_PIN}:vfio_pci_dma_buf_move", revisions=("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_move(vdev, revoked: bool) -> None:
    """Revoke (or restore) every live buffer of ``vdev``; both directions wait for the importers.

    Under the reservation lock: set ``revoked`` (revoke only), invalidate
    every importer's mappings and wait for all fences.  Then revoke drops
    the registered reference, waits until the last mapping is unmapped and
    re-arms the kref and the completion; restore clears ``revoked`` under
    the lock taken again.
    """
    shared_read(vdev, "dmabufs")          # the walk starts from the list as it is now
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
                wait_for_completion(priv)
                kref_init(priv)
                reinit_completion(priv)
            else:
                dma_resv_lock(priv.dmabuf.resv)
                priv.revoked = False
                dma_resv_unlock(priv.dmabuf.resv)
        fput(priv.dmabuf.file)


@mirrors(f"{_PIN}:vfio_pci_dma_buf_cleanup", revisions=("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_cleanup(vdev) -> None:
    """Device going away: under memory_lock revoke everything through move(), then
    unlink each buffer."""
    down_write(vdev.memory_lock)
    vfio_pci_dma_buf_move(vdev, True)
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        _list_del(vdev.dmabufs, priv)
        priv.vdev = None
        vfio_device_put_registration(vdev)
        fput(priv.dmabuf.file)
    up_write(vdev.memory_lock)


__all__ = [
    "vfio_pci_dma_buf_7_3", "vfio_pci_dma_buf_attach", "vfio_pci_dma_buf_map",
    "vfio_pci_dma_buf_unmap", "vfio_pci_dmabuf_ops", "vfio_pci_dmabuf_ops_fixed",
    "vfio_pci_dma_buf_iommufd_map_7_3", "vfio_pci_core_feature_dma_buf", "vfio_pci_dma_buf_move",
    "vfio_pci_dma_buf_cleanup", "kref_init", "kref_get", "kref_put", "wait_for_completion",
    "reinit_completion", "pending_work",
]
