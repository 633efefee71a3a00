"""``struct drm_pagemap_addr`` (include/drm/drm_pagemap.h) and its encoder.

One entry of the DMA-address arrays xe binds from: ``addr`` (dma_addr_t),
``proto`` (54 bits: ``DRM_INTERCONNECT_SYSTEM`` or the driver's own
``DRM_INTERCONNECT_DRIVER``), ``order`` (8 bits; the entry covers
``PAGE_SIZE << order`` bytes) and ``dir`` (2 bits).  RFC v1 patch 7/8
(the RFC v1 thread (2025-10-14)) fills one per BAR range with
``order = get_order(range_len)``; ``get_order()`` rounds up.
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE
from dmabuf_lab.kernels.getorder import get_order  # noqa: F401  (include/asm-generic/getorder.h)
from dmabuf_lab.kmodel import kstruct
from dmabuf_lab.twins import mirrors

DRM_INTERCONNECT_SYSTEM = 0
DRM_INTERCONNECT_DRIVER = 1
DMA_BIDIRECTIONAL = 0


class drm_pagemap_addr(kstruct):
    """``{addr; proto:54; order:8; dir:2}``: 16 bytes."""

    fields = ("addr", ("proto", 0), ("order", 0), ("dir", 0))
    sizeof = 16


@mirrors("posting:interconnects-rfc-v1#7/8:include/drm/drm_pagemap.h:drm_pagemap_addr_encode", revisions=("rfc-v1",))
def drm_pagemap_addr_encode(addr: int, proto: int, order: int, dir: int) -> drm_pagemap_addr:
    """Build an entry by value (a stack struct the caller copies into its array)."""
    return drm_pagemap_addr(addr=int(addr), proto=proto, order=order, dir=dir)


def drm_pagemap_addr_assign(dst: drm_pagemap_addr, src: drm_pagemap_addr) -> None:
    """``dst = src`` for a struct held in an array (member-wise copy)."""
    dst.addr = src.addr
    dst.proto = src.proto
    dst.order = src.order
    dst.dir = src.dir


def drm_pagemap_addr_bytes(entry: drm_pagemap_addr) -> int:
    """Bytes the entry claims: ``PAGE_SIZE << order``."""
    return PAGE_SIZE << entry.order
