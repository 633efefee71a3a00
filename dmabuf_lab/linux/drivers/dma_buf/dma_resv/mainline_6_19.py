"""drivers/dma-buf/dma-resv.c: the boot-time lockdep priming.

With CONFIG_LOCKDEP the kernel runs ``dma_resv_lockdep()`` as a subsys
initcall: it takes an mm's mmap lock, then a reservation lock inside it, so
that lockdep knows from boot on that the mmap lock orders before every
reservation lock (page faults on buffer objects take the reservation lock
under the mmap lock).  fs_reclaim, i_mmap and the MMU-notifier map it
also primes are not in the model.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import dma_resv, dma_resv_lock, dma_resv_unlock, ww_acquire_ctx
from dmabuf_lab.kmodel import ww_acquire_fini, ww_acquire_init
from dmabuf_lab.kmodel.mm import mm_struct, mmap_read_lock, mmap_read_unlock
from dmabuf_lab.twins import mirrors


@mirrors("torvalds/linux@0791faebfe75:drivers/dma-buf/dma-resv.c:dma_resv_lockdep",
         gap="stored tree of the file, not the 6.19 tag; the function is the same in every copy read from 5.x on "
             "except for the fs_reclaim and notifier parts the model leaves out",
         revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_resv_lockdep() -> int:
    """mmap lock (read), then a reservation lock under a ww acquire context, then both dropped."""
    mm = mm_struct("dma_resv_lockdep")
    obj = dma_resv("dma_resv_lockdep")
    mmap_read_lock(mm)
    ctx = ww_acquire_init(ww_acquire_ctx("reservation_ww_class"))
    dma_resv_lock(obj, ctx)
    dma_resv_unlock(obj)
    ww_acquire_fini(ctx)
    mmap_read_unlock(mm)
    return 0
