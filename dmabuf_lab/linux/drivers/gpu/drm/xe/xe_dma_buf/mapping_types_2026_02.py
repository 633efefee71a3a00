"""drivers/gpu/drm/xe/xe_dma_buf.c in the 2026-02 mapping-types RFC: attach, the SGT ops, the match and the ops table."""
from __future__ import annotations

from dmabuf_lab.kmodel import KArray
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as _core
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.mapping_types_2026_02 import xe_dma_buf_release
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import XE_PL_TT, xe_bo_can_migrate
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import xe_dma_buf_map_common, xe_dma_buf_unmap_common
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import (DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P, dma_buf_mapping_match, dma_buf_mapping_sgt_exp_ops)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import (dma_buf_match_mapping, dma_buf_sgt_p2p_allowed)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_02 import dma_buf_ops_mt
from dmabuf_lab.twins import mirrors


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_attach", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_attach(dmabuf, attach) -> int:
    """The series drops both checks (P2P distance, no way to system memory): the match did them."""
    return 0


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_map(attach, direction):
    """sg_table for the importer: VRAM through the BAR when SGT P2P is allowed, else migrate."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, dma_buf_sgt_p2p_allowed(attach), getattr(bo, "session", None))


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


xe_dma_buf_sgt_ops = dma_buf_mapping_sgt_exp_ops(map_dma_buf=xe_dma_buf_map, unmap_dma_buf=xe_dma_buf_unmap)


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_match_mapping", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_match_mapping(args) -> int:
    """Offer [SGT_P2P if CONFIG_DMABUF_MOVE_NOTIFY, SGT if migratable] from a 2-entry stack array."""
    bo = args.dmabuf.priv
    sgt_match = KArray(2, dma_buf_mapping_match, uninit=True)      # on the stack, not zeroed
    num_match = 0
    if getattr(bo, "config_move_notify", _core.CONFIG_DMABUF_MOVE_NOTIFY):
        sgt_match[num_match] = DMA_BUF_EMAPPING_SGT_P2P(xe_dma_buf_sgt_ops, bo.pdev)
        num_match += 1
    if xe_bo_can_migrate(bo, XE_PL_TT):
        sgt_match[num_match] = DMA_BUF_EMAPPING_SGT(xe_dma_buf_sgt_ops)
        num_match += 1
    n = num_match if fixed("xe-match-len") else len(sgt_match)
    return dma_buf_match_mapping(args, sgt_match, n)


xe_dmabuf_ops = dma_buf_ops_mt(attach=xe_dma_buf_attach, release=xe_dma_buf_release,
                               match_mapping=xe_dma_buf_match_mapping, name="xe_dmabuf_ops (mapping types)")
