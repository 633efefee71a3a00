"""drivers/gpu/drm/xe/xe_dma_buf.c as in Linux 6.19: the exporter callbacks and xe_dmabuf_ops, over the steps every revision shares (common)."""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.kmodel import EINVAL
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.mainline_6_19 import xe_dma_buf_release
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import (XE_DMA_BUF_C, XE_GAP, XE_PL_TT, p2p_distance, xe_bo_migrate, xe_bo_pin_external,
    xe_bo_unpin_external)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import xe_bo_is_pinned
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common
from dmabuf_lab.twins import mirrors


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_attach", gap=XE_GAP, revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_attach(dmabuf, attach) -> int:
    """Drop P2P for an importer that cannot reach us; refuse if the BO then has nowhere to go."""
    bo = dmabuf.priv
    if attach.peer2peer and p2p_distance(bo.pdev, attach.dev) < 0:
        attach.peer2peer = False
    return xe_dma_buf_attach_checks(bo, attach, bool(attach.peer2peer))


def _session_of(attach):
    return getattr(attach.dmabuf.priv, "session", None)


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_pin", gap=XE_GAP, revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_pin(attach) -> int:
    """Pin for an importer that cannot follow moves: only in system memory.

    A BO already pinned somewhere other than TT: -EINVAL.  Otherwise migrate
    to TT (-EINVAL when the BO's placements exclude TT, -EBUSY when pinned
    elsewhere) and pin it there.
    """
    bo = attach.dmabuf.priv
    if xe_bo_is_pinned(bo) and bo.placement != XE_PL_TT:
        return -EINVAL
    ret = xe_bo_migrate(bo, XE_PL_TT)
    if ret:
        return ret
    xe_bo_pin_external(bo)
    return 0


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_unpin", gap=XE_GAP, revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_unpin(attach) -> None:
    """Drop the pin ``xe_dma_buf_pin`` took."""
    xe_bo_unpin_external(attach.dmabuf.priv)


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_map", gap=XE_GAP, revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_map(attach, direction):
    """Migrate to system memory for a non-P2P importer, else hand out VRAM via the BAR."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, bool(attach.peer2peer), _session_of(attach))


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


xe_dmabuf_ops = dma_buf_ops(attach=xe_dma_buf_attach, pin=xe_dma_buf_pin, unpin=xe_dma_buf_unpin,
                            map_dma_buf=xe_dma_buf_map, unmap_dma_buf=xe_dma_buf_unmap,
                            release=xe_dma_buf_release, name="xe_dmabuf_ops")
