"""One ``iommu_pgsize()`` step as a device body (numba CPU and CUDA from one source).

The same arithmetic as :func:`dmabuf_lab.kernels.iommu_pgsize.iommu_pgsize`
on unsigned 64-bit words, returning ``(log2 pgsize, count)``; the bulk
splitter and the page-table builder both inline it.
"""
from __future__ import annotations

import numpy as np

from .twin import device, ffs, fls

U64 = np.uint64


@device
def iommu_pgsize_step(bitmap, iova, paddr, size):
    """(log2 of the page size, number of such pages) for the next mapping step."""
    addr_merge = paddr | iova
    lim = fls(size)
    if addr_merge != U64(0):
        a = ffs(addr_merge)
        if a < lim:
            lim = a
    pgsizes = bitmap & ((U64(2) << U64(lim)) - U64(1))
    idx = fls(pgsizes)
    above = bitmap & ~((U64(2) << U64(idx)) - U64(1))
    if above != U64(0):
        nxt = U64(1) << U64(ffs(above))
        nm1 = nxt - U64(1)
        if ((iova ^ paddr) & nm1) == U64(0):
            off = nxt - (addr_merge & nm1)
            if off + nxt <= size:
                size = off
    return idx, size >> U64(idx)
