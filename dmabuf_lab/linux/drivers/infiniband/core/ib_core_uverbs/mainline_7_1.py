"""The user mmap entries of a ucontext, and the revoke of the dma-bufs cut from one.

drivers/infiniband/core/ib_core_uverbs.c as merged for 7.0 with the uverbs
dma-buf exporter (0ac6f4056c4a).  An entry is what an RDMA driver hands user
space to mmap (a doorbell page, device memory); the exporter looks it up by
page offset and keeps a reference.  rdma_user_mmap_entry_remove(), which the
driver calls when the object behind the entry goes, marks it removed and
revokes every dma-buf still linked to it: invalidate, wait for the fences,
drop the export's own kref and sleep until every mapping is unmapped.

7.1 renames the notification call (95308225e5ba); the 7.0 tree's
``dma_buf_move_notify()`` is modelled as the 7.1 ``dma_buf_invalidate_mappings()``.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_invalidate_mappings
from dmabuf_lab.core.workqueue import flush_scheduled_work
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock, kstruct
from dmabuf_lab.kmodel.completion import kref, kref_get, kref_put, wait_for_completion
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.mutex import mutex, mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import RUN_BY
from dmabuf_lab.linux.drivers.infiniband.core.uverbs.mainline_7_1 import ib_uverbs_dmabuf_done
from dmabuf_lab.twins import mirrors

_PIN = "torvalds/linux@311aa68319f6:drivers/infiniband/core/ib_core_uverbs.c"
_RENAME = ("read in the 7.0 tree, which calls dma_buf_move_notify(); 7.1 renames the call "
           "to dma_buf_invalidate_mappings() (95308225e5ba), as the rdma tree copy "
           "kernelorg-mirror/linux_kernel_git_leon_linux-rdma@779f7a175b8a shows")


class ib_ucontext(kstruct):
    """A user context: its mmap entries by page offset (the mmap_xa) and its device."""

    fields = (("mmap_xa", dict), "device", "ufile")


class rdma_user_mmap_entry(kstruct):
    """One mmap-able object of a ucontext and the dma-bufs exported from it.

    ``driver_removed`` is written by the driver's remove and read by the
    lookup of a concurrent ALLOC or mmap (under the mmap_xa's lock in the C,
    not under ``dmabufs_lock``): announced in concurrent runs."""

    fields = (("ref", kref), "ucontext", ("start_pgoff", 0), ("npages", 0), ("driver_removed", False),
              ("dmabufs_lock", mutex), ("dmabufs", list))
    shared = ("driver_removed",)


@mirrors(f"{_PIN}:rdma_user_mmap_entry_get_pgoff", revisions=RUN_BY)
def rdma_user_mmap_entry_get_pgoff(ucontext, pgoff: int):
    """The entry starting at ``pgoff`` with a new reference, or None (absent, removed,
    or already on its way out)."""
    if pgoff > 0xFFFFFFFF:
        return None
    entry = ucontext.mmap_xa.get(pgoff)
    if entry is None or entry.start_pgoff != pgoff or entry.driver_removed or entry.ref.refcount == 0:
        return None
    kref_get(entry.ref)
    return entry


@mirrors(f"{_PIN}:rdma_user_mmap_entry_free", revisions=RUN_BY)
def rdma_user_mmap_entry_free(r: kref) -> None:
    """Last reference: erase the entry's page offsets (the driver's mmap_free would free it)."""
    entry = r.container
    ucontext = entry.ucontext
    for i in range(entry.npages):
        ucontext.mmap_xa.pop(entry.start_pgoff + i, None)


@mirrors(f"{_PIN}:rdma_user_mmap_entry_put", revisions=RUN_BY)
def rdma_user_mmap_entry_put(entry) -> None:
    kref_put(entry.ref, rdma_user_mmap_entry_free)


@mirrors(f"{_PIN}:rdma_user_mmap_entry_remove", gap=_RENAME, revisions=RUN_BY)
def rdma_user_mmap_entry_remove(entry) -> None:
    """The driver drops the entry: no new mmaps or exports, and every linked dma-buf is
    revoked and waited for, under the entry's dmabufs_lock."""
    if entry is None:
        return
    mutex_lock(entry.dmabufs_lock)
    entry.driver_removed = True
    for ud in list(entry.dmabufs):
        dma_resv_lock(ud.dmabuf.resv)
        entry.dmabufs.remove(ud)
        ud.revoked = True
        dma_buf_invalidate_mappings(ud.dmabuf)
        dma_resv_wait_timeout(ud.dmabuf.resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)
        dma_resv_unlock(ud.dmabuf.resv)
        kref_put(ud.kref, ib_uverbs_dmabuf_done)
        _wait_for_unmaps(ud)
    mutex_unlock(entry.dmabufs_lock)
    kref_put(entry.ref, rdma_user_mmap_entry_free)


def _wait_for_unmaps(ud) -> None:
    """wait_for_completion(&ud->comp); queued importer work (a deferred unmap) runs while
    the revoke sleeps."""
    flush_scheduled_work()
    wait_for_completion(ud.comp)
