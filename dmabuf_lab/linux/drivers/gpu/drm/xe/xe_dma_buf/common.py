"""drivers/gpu/drm/xe/xe_dma_buf.c: the exporter's attach checks, map and unmap that every revision's xe shares."""
from __future__ import annotations

from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.kmodel import EOPNOTSUPP, ERR_PTR
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import XE_DMA_BUF_C, XE_PL_TT, XE_PL_VRAM0, xe_bo, xe_bo_can_migrate, xe_bo_dma_ranges, xe_bo_migrate
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import XE_GAP, xe_bo_is_pinned
from dmabuf_lab.twins import mirrors


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_attach", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_attach_checks(bo: xe_bo, attach, p2p_ok: bool) -> int:
    """The refusal shared by every revision: no P2P and no way to system memory."""
    if not p2p_ok and not xe_bo_can_migrate(bo, XE_PL_TT):
        return -EOPNOTSUPP
    return 0


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_map", gap=XE_GAP, revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_map_common(bo: xe_bo, p2p_ok: bool, session=None):
    """Map body shared by every revision: pick the placement (an unpinned BO
    goes to system memory for a non-P2P importer), build the sg_table of
    where the BO lies: system pages in TT, the BAR addresses of VRAM."""
    if not p2p_ok and not xe_bo_can_migrate(bo, XE_PL_TT):
        return ERR_PTR(-EOPNOTSUPP)
    if not xe_bo_is_pinned(bo):
        r = xe_bo_migrate(bo, XE_PL_TT) if not p2p_ok else 0
        if r:
            return ERR_PTR(r)
    if session is not None:
        session.shared["p2p_memory"] = bo.placement == XE_PL_VRAM0
    return sg_table_from_ranges(xe_bo_dma_ranges(bo))


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_unmap_common(sgt) -> None:
    """xe_dma_buf_unmap(): free the table."""
    sg_table_free(sgt)
