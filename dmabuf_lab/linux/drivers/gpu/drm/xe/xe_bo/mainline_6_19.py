"""xe_bo.c as the 6.19 dma-buf importer uses it: raw storage, init, evict, put.

An imported BO starts as zeroed storage from ``xe_bo_alloc()``; only
``xe_bo_init_locked()`` makes it a working object (size, reservation
object, a TTM resource).  When init fails it frees the storage, whether
the caller passed storage in or not.  Eviction reads the BO's resource
and, for a BO backed by a dma-buf, drops the importer's mapping; the last
``xe_bo_put()`` destroys it.  Life-cycle state is tracked with
:mod:`dmabuf_lab.kmodel.debugobjects`, so an eviction that reaches raw
storage is reported as ``uninitialised`` and one that reaches freed
storage as ``use-after-free`` (by the allocator).

Read in gregkh/linux 18fec083a019 (a stable copy matching 6.19 on these
paths), reduced to what the importer path touches.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import EINVAL, ENOMEM, ERR_PTR, IS_ERR, kfree, kstruct, kzalloc
from dmabuf_lab.kmodel.debugobjects import debug_object_assert_init, debug_object_free, debug_object_init
from dmabuf_lab.twins import mirrors
from dmabuf_lab.kmodel import EINVAL, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.sched import shared_write
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_move_notify
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import XE_BO_C, XE_GAP, XE_PL_TT, XE_PL_VRAM0
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import xe_bo_is_pinned
from dmabuf_lab.twins import mirrors

XE_BO_C = "gregkh/linux@18fec083a019:drivers/gpu/drm/xe/xe_bo.c"
GAP = ("a gregkh/linux stable copy, not the v6.19 tag; reduced to the storage, the resource and "
       "the reference the dma-buf importer path touches")
REVS = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")

XE_PL_SYSTEM = "system"
XE_PL_TT = "tt"


class ttm_resource(kstruct):
    """Where a BO's pages are (``mem_type``)."""

    fields = (("mem_type", ""),)


class xe_bo(kstruct):
    """An imported BO: ``size``, ``resv`` (the dma-buf's), ``resource``, ``refcount``
    (the GEM reference), ``import_attach``; ``evict_hook`` is lab wiring: what
    TTM's move of a dma-buf backed BO does to the importer's mapping."""

    fields = (("size", 0), "resv", "resource", ("refcount", 0), "import_attach", "evict_hook")


@mirrors(f"{XE_BO_C}:xe_bo_alloc", gap=GAP, revisions=REVS)
def xe_bo_alloc():
    """Zeroed storage for a BO, not yet an object; ERR_PTR(-ENOMEM) on failure."""
    bo = kzalloc(xe_bo)
    if bo is None:
        return ERR_PTR(-ENOMEM)
    return bo


@mirrors(f"{XE_BO_C}:xe_bo_free", gap=GAP, revisions=REVS)
def xe_bo_free(bo) -> None:
    """Free storage that never became an object."""
    kfree(bo)


@mirrors(f"{XE_BO_C}:xe_bo_init_locked", gap=GAP + "; TTM's init (ttm_bo_init_reserved) is the "
         "resource allocation, and its destroy callback on failure is the free of the storage",
         revisions=REVS)
def xe_bo_init_locked(xe, bo, resv, size: int):
    """Set up ``bo`` (allocated here when NULL) under ``resv``.

    Writes the BO's members into the storage, then lets TTM place it (the
    resource allocation, which can fail with -ENOMEM).  On failure the
    storage is freed, caller's or not, and ERR_PTR(-ENOMEM) returned.
    """
    if bo is None:
        bo = xe_bo_alloc()
        if IS_ERR(bo):
            return bo
    bo.size = size
    bo.resv = resv
    bo.refcount = 1
    res = kzalloc(ttm_resource)
    if res is None:
        xe_bo_free(bo)
        return ERR_PTR(-ENOMEM)
    res.mem_type = XE_PL_SYSTEM
    bo.resource = res
    debug_object_init(bo, "struct xe_bo")
    return bo


@mirrors(f"{XE_BO_C}:xe_bo_evict", gap=GAP + "; where the C oopses on a BO with no resource "
         "(evict_flags reads it) the model returns -EINVAL after the report", revisions=REVS)
def xe_bo_evict(bo) -> int:
    """Evict ``bo``: evict_flags reads its resource, the move drops a dma-buf
    BO's mapping.  Raw or freed storage is reported by the checkers."""
    res = bo.resource
    if not debug_object_assert_init(bo, "struct xe_bo") or res is None:
        return -EINVAL
    res.mem_type = XE_PL_SYSTEM
    hook = bo.evict_hook
    if hook is not None:
        hook()
    return 0


@mirrors(f"{XE_BO_C}:xe_bo_put", gap=GAP + "; the GEM free path (xe_ttm_bo_destroy) reduced to "
         "freeing the resource and the BO", revisions=REVS)
def xe_bo_put(bo) -> None:
    """Drop one GEM reference; the last one destroys the BO."""
    bo.refcount -= 1
    if bo.refcount:
        return
    kfree(bo.resource)
    bo.resource = None
    debug_object_free(bo, "struct xe_bo")
    kfree(bo)


# the exporter side, as the lab's xe adapters run it

@mirrors(f"{XE_BO_C}:xe_bo_move_notify", gap=XE_GAP, revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_bo_move_body(exporter, notify) -> int:
    """One eviction of the exported BO to system memory (or back), ``notify``
    being the core's notification (dma_buf_move_notify() in 6.19,
    dma_buf_invalidate_mappings() in 7.x).

    A pinned BO does not move (-EINVAL).  Under the reservation lock:
    ``notify``, then the copy, ordered after the fences already in the
    BO's dma_resv (TTM's pipelined move), then the new placement, which
    importers share (a write of ``placement``), and the move count that a
    mapping made before it no longer matches.
    """
    bo = exporter.bo
    resv = exporter.dmabuf.resv
    dma_resv_lock(resv)
    if xe_bo_is_pinned(bo):
        dma_resv_unlock(resv)
        return -EINVAL
    notify(exporter.dmabuf)
    dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)
    shared_write(bo, "placement")
    bo.placement = XE_PL_TT if bo.placement == XE_PL_VRAM0 else XE_PL_VRAM0
    bo.moves += 1
    dma_resv_unlock(resv)
    return 0
