"""``struct drm_pagemap_addr`` (include/drm/drm_pagemap.h) packed in bulk: the
bitfields as GCC lays them out on x86-64, over numpy arrays."""
from __future__ import annotations

import numpy as np

U64 = np.uint64

# drm_pagemap_addr: {addr; proto:54; order:8; dir:2}
DRM_INTERCONNECT_SYSTEM = 0
DRM_INTERCONNECT_DRIVER = 1
DMA_BIDIRECTIONAL = 0
DMA_TO_DEVICE = 1
DMA_FROM_DEVICE = 2
DRM_PAGEMAP_ADDR_DTYPE = np.dtype([("addr", "<u8"), ("bits", "<u8")])


def drm_pagemap_addr_encode(addr, proto, order, dir=DMA_BIDIRECTIONAL) -> np.ndarray:
    """Pack ``drm_pagemap_addr`` entries (bitfields as GCC lays them out on x86-64)."""
    addr = np.asarray(addr, dtype=U64)
    out = np.empty(addr.shape, dtype=DRM_PAGEMAP_ADDR_DTYPE)
    out["addr"] = addr
    proto = np.asarray(proto, dtype=U64) & U64((1 << 54) - 1)
    order = np.asarray(order, dtype=U64) & U64(0xFF)
    d = np.asarray(dir, dtype=U64) & U64(0x3)
    out["bits"] = proto | (order << U64(54)) | (d << U64(62))
    return out


def drm_pagemap_addr_decode(entries: np.ndarray) -> dict:
    """Unpack to ``{"addr", "proto", "order", "dir"}`` arrays."""
    bits = entries["bits"]
    return {"addr": entries["addr"], "proto": bits & U64((1 << 54) - 1),
            "order": (bits >> U64(54)) & U64(0xFF), "dir": bits >> U64(62)}
