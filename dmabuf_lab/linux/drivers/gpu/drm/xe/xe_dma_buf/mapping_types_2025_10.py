"""drivers/gpu/drm/xe/xe_dma_buf.c in the October 2025 mapping-types design: the XE_VRAM type, the SGT ops and the typed VRAM map."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.kmodel import EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, WARN_ON, dma_resv_assert_held, kvfree, kvmalloc_array
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.mapping_types_2025_10 import xe_dma_buf_release
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import XE_PL_TT, xe_bo_can_migrate
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.twins import mirrors
from typing import Callable, Optional


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_vram_match", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_vram_match(dmabuf, exp, imp) -> int:
    """The importer must name *this* device's VRAM."""
    return 0 if imp.pdev is exp.pdev else -EOPNOTSUPP


xe_vram_mapping_type = mt.dma_buf_mapping_type("XE_VRAM", match=xe_vram_match, lab_kind="private")


@dataclass(eq=False)
class xe_vram_exp_ops(mt.dma_buf_mapping_exp_ops):
    """``map_vram(attach) -> array of (dpa, len)``, ``unmap_vram(attach, array)``."""

    map_vram: Optional[Callable] = None
    unmap_vram: Optional[Callable] = None


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:XE_MAPPING_VRAM", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def XE_MAPPING_VRAM(pdev, ops=None) -> mt.dma_buf_mapping_match:
    """Entry for ``pdev``'s VRAM (importer: the VRAM it reaches; exporter: its own, with ops)."""
    return mt.dma_buf_mapping_match(type=xe_vram_mapping_type, exp_ops=ops, pdev=pdev)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map_vram", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_map_vram(attach):
    """The BO's VRAM ranges (DPA, length) as a kvmalloc'ed array."""
    bo = attach.dmabuf.priv
    ranges = bo.lmem.ranges
    out = kvmalloc_array(len(ranges), 16)
    if out is None:
        return ERR_PTR(-ENOMEM)
    for i, r in enumerate(ranges):
        out[i] = r
    return out


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap_vram", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_unmap_vram(attach, arr) -> None:
    """Free the array made by ``xe_dma_buf_map_vram``."""
    kvfree(arr)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_sgt_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_sgt_attach(dmabuf, attach) -> int:
    """SGT mapping type: P2P only when the chosen type requires it."""
    return xe_dma_buf_attach_checks(dmabuf.priv, attach, bool(attach.map_type.requires_p2p))


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_map(attach, direction):
    """sg_table for the importer: VRAM through the BAR for SGT_P2P, else migrate."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, bool(attach.map_type.requires_p2p), getattr(bo, "session", None))


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


xe_sgt_ops = mt.dma_buf_sgt_exp_ops(attach=xe_dma_buf_sgt_attach, map_dma_buf=xe_dma_buf_map,
                                    unmap_dma_buf=xe_dma_buf_unmap)


xe_vram_ops = xe_vram_exp_ops(map_vram=xe_dma_buf_map_vram, unmap_vram=xe_dma_buf_unmap_vram)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_mapping_types", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def xe_dma_buf_mapping_types(dmabuf) -> list:
    """The mapping types xe exports for this BO, in the order it lists them."""
    bo = dmabuf.priv
    out = [XE_MAPPING_VRAM(bo.pdev, xe_vram_ops), mt.DMA_BUF_EMAPPING_SGT_P2P(xe_sgt_ops, bo.pdev)]
    if xe_bo_can_migrate(bo, XE_PL_TT):
        out.append(mt.DMA_BUF_EMAPPING_SGT(xe_sgt_ops))
    return out


xe_dmabuf_mt_ops = mt.dma_buf_ops_mt(release=xe_dma_buf_release, mapping_types=xe_dma_buf_mapping_types,
                                     name="xe_dmabuf_ops (mapping types 2025-10)")


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_vram_map", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_vram_map(attach):
    """Typed map of the XE_VRAM type (resv held): the BO's VRAM ranges, or ERR_PTR."""
    if WARN_ON(attach.map_type.type is not xe_vram_mapping_type, "xe_vram_map on another type"):
        return ERR_PTR(-EINVAL)
    dma_resv_assert_held(attach.dmabuf.resv)
    return attach.map_type.exp_ops.map_vram(attach)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_vram_unmap", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_vram_unmap(attach, arr) -> None:
    """Give the VRAM ranges back."""
    attach.map_type.exp_ops.unmap_vram(attach, arr)
