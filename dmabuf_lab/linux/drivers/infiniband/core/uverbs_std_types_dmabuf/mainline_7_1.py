"""The RDMA uverbs dma-buf exporter as Linux 7.1 carries it.

drivers/infiniband/core/uverbs_std_types_dmabuf.c came with 7.0
(0ac6f4056c4a "RDMA/uverbs: Add DMABUF object type and operations"); 7.1
is the first release the lab models that has it, with the revoke series'
rename of the notification call (95308225e5ba).  User space asks for a
dma-buf of one mmap entry of its ucontext (UVERBS_METHOD_DMABUF_ALLOC with
the entry's page offset); the driver's ``mmap_get_pfns`` gives one physical
range of a BAR and its P2P provider.

* attach: -EOPNOTSUPP unless the importer takes peer-to-peer addresses;
  nothing else (no revoked test, no revocable-importer test).
* map (resv held): -ENODEV when revoked, else dma_buf_phys_vec_to_sgt()
  with the one range; a mapping takes a kref.  unmap frees the table and
  puts the kref.
* pin refuses (-EOPNOTSUPP), unpin does nothing: with 7.1's core a static
  importer is pinned at map, so only dynamic importers can map.
* revoke, by the destroy of the uverbs object or by the driver removing the
  mmap entry: under the entry's dmabufs_lock and the reservation lock set
  ``revoked`` (only if not yet), unlink, invalidate, wait for BOOKKEEP
  fences; unlock; put the export's kref and wait for the completion.
  Nothing re-arms the kref: each buffer is revoked once, and the
  ``revoked`` test keeps a later destroy from putting it again.
* release (last dma-buf reference): hands the uobject to
  uverbs_uobject_release() unless its ``context`` is already cleared.
  That test is the bug ``uverbs-dmabuf-release``: rdma_core.c's
  uverbs_destroy_uobject() clears ``context`` on every destroy, so a
  buffer that outlives its uverbs file (closed, or the device removed)
  never releases the object nor the uverbs file reference the commit took;
  and on an aborted ALLOC the object is freed by the abort before the
  deferred release of the buffer's file reads it.  The lab's fix (variant
  ``fix-uverbs-dmabuf-release``): both abort paths clear ``dmabuf->priv``
  before the buffer's file is put (the handler's -EIO path, and the
  destroy with RDMA_REMOVE_ABORT that precedes alloc_abort_fd_uobject()'s
  fput), and the release tests ``priv`` instead of ``context``, so after
  a close it still runs uverbs_uobject_release() as every other fd type's
  file release does.

The map goes through the 6.19 form of the mapping helper here
(``release="6.19"``); :mod:`.mainline_7_3_rc6` swaps in the 7.3 one.
``faithful=False`` runs the lab's corrected helper (the revision's
``sgt-helper`` bug fixed).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_export, dma_buf_put
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_invalidate_mappings
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.core.workqueue import flush_scheduled_work
from dmabuf_lab.kmodel import (EINVAL, EIO, ENODEV, EOPNOTSUPP, ERR_PTR, IS_ERR, PTR_ERR,
                               dma_resv_assert_held, dma_resv_lock, dma_resv_unlock)
from dmabuf_lab.kmodel.completion import init_completion, kref_get, kref_init, kref_put, wait_for_completion
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.infiniband.core.ib_core_uverbs.mainline_7_1 import rdma_user_mmap_entry_put
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import (RDMA_REMOVE_ABORT, RUN_BY,
                                                                           uverbs_uobject_release)
from dmabuf_lab.linux.drivers.infiniband.core.uverbs.mainline_7_1 import (ib_uverbs_dmabuf_done,
                                                                          ib_uverbs_dmabuf_file)
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.twins import mirrors

_PIN = "torvalds/linux@311aa68319f6:drivers/infiniband/core/uverbs_std_types_dmabuf.c"
_GAP = ("read as merged for 7.0 (0ac6f4056c4a); the 7.1 release is taken to be this file with "
        "dma_buf_move_notify() renamed dma_buf_invalidate_mappings() (95308225e5ba), as the rdma tree "
        "copy kernelorg-mirror/linux_kernel_git_leon_linux-rdma@779f7a175b8a shows")
O_CLOEXEC = 0o2000000
#: The helper state the map calls: 7.1 and 7.2 carry the 6.19 dma-buf-mapping.c.
HELPER_RELEASE = "6.19"
#: The releases whose map is this one (7.3-rc6 has its own, over the 7.3 helper).
MAP_RUN_BY = ("mainline-7.1", "mainline-7.2")
#: The bug whose lab fix changes the release op and the two abort paths.
RELEASE_BUG = "uverbs-dmabuf-release"


@mirrors(f"{_PIN}:uverbs_dmabuf_attach", revisions=RUN_BY)
def uverbs_dmabuf_attach(dmabuf, attachment) -> int:
    """Only importers that can take P2P addresses."""
    if not attachment.peer2peer:
        return -EOPNOTSUPP
    return 0


def _map(attachment, direction: int, faithful: bool, release: str):
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    ret = dma_buf_phys_vec_to_sgt(attachment, priv.provider, [priv.phys_vec], 1, priv.phys_vec.len,
                                  direction, faithful=faithful, release=release)
    if IS_ERR(ret):
        return ret
    kref_get(priv.kref)
    return ret


@mirrors(f"{_PIN}:uverbs_dmabuf_map", revisions=MAP_RUN_BY)
def uverbs_dmabuf_map(attachment, direction: int, *, faithful: bool = True):
    """Map the one range (resv held): -ENODEV once revoked; a mapping holds a kref."""
    return _map(attachment, direction, faithful, HELPER_RELEASE)


@mirrors(f"{_PIN}:uverbs_dmabuf_unmap", revisions=RUN_BY)
def uverbs_dmabuf_unmap(attachment, sgt, direction: int, *, faithful: bool = True) -> None:
    """Free the table (resv held) and drop the mapping's kref; the last one completes."""
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    dma_buf_free_sgt(attachment, sgt, direction, faithful=faithful)
    kref_put(priv.kref, ib_uverbs_dmabuf_done)


@mirrors(f"{_PIN}:uverbs_dmabuf_pin", revisions=RUN_BY)
def uverbs_dmabuf_pin(attach) -> int:
    """A pinned importer cannot be revoked: refused."""
    return -EOPNOTSUPP


@mirrors(f"{_PIN}:uverbs_dmabuf_unpin", revisions=RUN_BY)
def uverbs_dmabuf_unpin(attach) -> None:
    """Nothing was pinned."""


@mirrors(f"{_PIN}:uverbs_dmabuf_release", revisions=RUN_BY)
def uverbs_dmabuf_release(dmabuf) -> None:
    """The dma-buf's last reference: release the uobject, unless its context is gone
    (the code says: only when the put came from the aborted allocation).

    As posted the test reads the object, which an abort has freed, and is
    also true after any destroy (a closed uverbs file): then nothing puts
    the object or the uverbs file reference.  Fixed: an abort leaves
    ``priv`` NULL, and only that skips the release."""
    priv = dmabuf.priv
    if fixed(RELEASE_BUG):
        if priv is None:                       # the lab's fix: the abort detached the buffer
            return
    elif priv.uobj.context is None:
        return
    uverbs_uobject_release(priv.uobj, uverbs_dmabuf_fd_destroy_uobj)


def _ops_pair(map_fn, unmap_fn, label: str):
    """``uverbs_dmabuf_ops`` as merged, and the same table over the lab's corrected helper."""
    def fmap(a, d):
        return map_fn(a, d, faithful=False)

    def funmap(a, s, d):
        unmap_fn(a, s, d, faithful=False)

    common = dict(attach=uverbs_dmabuf_attach, pin=uverbs_dmabuf_pin, unpin=uverbs_dmabuf_unpin,
                  release=uverbs_dmabuf_release)
    return (dma_buf_ops(map_dma_buf=map_fn, unmap_dma_buf=unmap_fn, name=f"uverbs_dmabuf_ops ({label})",
                        **common),
            dma_buf_ops(map_dma_buf=fmap, unmap_dma_buf=funmap,
                        name=f"uverbs_dmabuf_ops ({label}, lab-fixed helper)", **common))


uverbs_dmabuf_ops, uverbs_dmabuf_ops_fixed = _ops_pair(uverbs_dmabuf_map, uverbs_dmabuf_unmap, "7.1")


@mirrors(f"{_PIN}:UVERBS_HANDLER", gap="the handler of UVERBS_METHOD_DMABUF_ALLOC (the macro names it); "
         "the uobject allocation before it and the commit or abort after it are rdma_core.c's",
         revisions=RUN_BY)
def uverbs_method_dmabuf_alloc(ud, ib_dev, ucontext, pg_off: int, *, ops=None) -> int:
    """UVERBS_METHOD_DMABUF_ALLOC on the freshly allocated object ``ud``: 0 or -errno.

    Look the mmap entry up by page offset (-EINVAL if none; a reference is
    kept), ask the driver for its range and provider, export, arm the kref
    and the completion, link the buffer to the entry unless the driver
    removed the entry meanwhile (-EIO: the buffer is put again), and hand
    the dma-buf's file to the uobject.  The -EIO put is the buffer's last:
    inside the system call its release runs on the return to user space,
    after the core's abort has freed the object.
    """
    mmap_entry = ib_dev.pgoff_to_mmap_entry(ucontext, pg_off)
    if mmap_entry is None:
        return -EINVAL

    ret = ib_dev.mmap_get_pfns(mmap_entry, ud)
    if ret:
        rdma_user_mmap_entry_put(mmap_entry)
        return ret

    exp_info = dma_buf_export_info(ops=ops or uverbs_dmabuf_ops, size=ud.phys_vec.len, flags=O_CLOEXEC,
                                   priv=ud, exp_name="uverbs_dmabuf")
    ud.dmabuf = dma_buf_export(exp_info)
    if IS_ERR(ud.dmabuf):
        ret = PTR_ERR(ud.dmabuf)
        rdma_user_mmap_entry_put(mmap_entry)
        return ret

    ud.kref.container = ud
    kref_init(ud.kref)
    init_completion(ud.comp)
    mutex_lock(mmap_entry.dmabufs_lock)
    if mmap_entry.driver_removed:
        ret = -EIO
    else:
        mmap_entry.dmabufs.append(ud)
    mutex_unlock(mmap_entry.dmabufs_lock)
    if ret:
        if fixed(RELEASE_BUG):
            ud.dmabuf.priv = None              # the lab's fix: the release must not reach the object
        dma_buf_put(ud.dmabuf)                 # err_revoked
        rdma_user_mmap_entry_put(mmap_entry)
        return ret

    ud.uobj.object = ud.dmabuf.file
    ud.mmap_entry = mmap_entry
    return 0


def _invalidate(ud) -> None:
    """The notification call of this release (7.1: dma_buf_invalidate_mappings())."""
    dma_buf_invalidate_mappings(ud.dmabuf)


@mirrors(f"{_PIN}:uverbs_dmabuf_fd_destroy_uobj", gap=_GAP, revisions=RUN_BY)
def uverbs_dmabuf_fd_destroy_uobj(uobj, why: int) -> None:
    """Destroy the uverbs object: revoke the buffer unless the driver already did, wait
    until every mapping is unmapped, then drop the mmap entry's reference.

    The wait runs with the entry's dmabufs_lock held; the kref is not
    re-armed afterwards, so a second revoke is kept out only by ``revoked``.
    An abort (the handler succeeded, the ioctl failed after it) comes here
    before alloc_abort_fd_uobject() puts the buffer's file.
    """
    ud = uobj.ref.container                # container_of(uobj, ..., uobj)
    wait_for_comp = False
    mutex_lock(ud.mmap_entry.dmabufs_lock)
    dma_resv_lock(ud.dmabuf.resv)
    if not ud.revoked:
        ud.revoked = True
        ud.mmap_entry.dmabufs.remove(ud)
        _invalidate(ud)
        dma_resv_wait_timeout(ud.dmabuf.resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)
        wait_for_comp = True
    dma_resv_unlock(ud.dmabuf.resv)
    if wait_for_comp:
        kref_put(ud.kref, ib_uverbs_dmabuf_done)
        _wait_for_unmaps(ud)
    mutex_unlock(ud.mmap_entry.dmabufs_lock)
    rdma_user_mmap_entry_put(ud.mmap_entry)
    if why == RDMA_REMOVE_ABORT and fixed(RELEASE_BUG):
        ud.dmabuf.priv = None                  # the lab's fix: alloc_abort_fd_uobject() puts the file next


def _wait_for_unmaps(ud) -> None:
    """wait_for_completion(&ud->comp); queued importer work runs while it sleeps."""
    flush_scheduled_work()
    wait_for_completion(ud.comp)


__all__ = [
    "ib_uverbs_dmabuf_file", "uverbs_dmabuf_attach", "uverbs_dmabuf_map", "uverbs_dmabuf_unmap",
    "uverbs_dmabuf_pin", "uverbs_dmabuf_unpin", "uverbs_dmabuf_release", "uverbs_dmabuf_ops",
    "uverbs_dmabuf_ops_fixed", "uverbs_method_dmabuf_alloc", "uverbs_dmabuf_fd_destroy_uobj",
    "HELPER_RELEASE", "RELEASE_BUG",
]
