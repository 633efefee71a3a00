"""drivers/gpu/drm/xe/xe_bo.c as in Linux 6.19: the eviction body a move of an exported BO runs (7.x passes the renamed notification)."""
from __future__ import annotations

from dmabuf_lab.kmodel import EINVAL, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.sched import shared_write
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_move_notify
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import XE_BO_C, XE_GAP, XE_PL_TT, XE_PL_VRAM0
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import xe_bo_is_pinned
from dmabuf_lab.twins import mirrors


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
