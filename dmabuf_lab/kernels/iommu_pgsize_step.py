"""One ``iommu_pgsize()`` step for the compiled kernels (numba CPU and CUDA).

The same arithmetic as :func:`dmabuf_lab.kernels.iommu_pgsize.iommu_pgsize`
on unsigned 64-bit words, returning ``(log2 pgsize, count)``; the bulk
splitter and the page-table builder both inline it.
"""
from __future__ import annotations

import numpy as np

from .bitops import nb_ffs, nb_fls, numba

U64 = np.uint64


@numba.njit(inline="always", cache=True)
def iommu_pgsize_step(bitmap, iova, paddr, size):
    """(log2 of the page size, number of such pages) for the next mapping step."""
    addr_merge = paddr | iova
    lim = nb_fls(size)
    if addr_merge != U64(0):
        a = nb_ffs(addr_merge)
        if a < lim:
            lim = a
    pgsizes = bitmap & ((U64(2) << U64(lim)) - U64(1))
    idx = nb_fls(pgsizes)
    above = bitmap & ~((U64(2) << U64(idx)) - U64(1))
    if above != U64(0):
        nxt = U64(1) << U64(nb_ffs(above))
        nm1 = nxt - U64(1)
        if ((iova ^ paddr) & nm1) == U64(0):
            off = nxt - (addr_merge & nm1)
            if off + nxt <= size:
                size = off
    return idx, size >> U64(idx)


_cuda_step = None


def cuda_iommu_pgsize_step():
    """The same step as a CUDA device function, compiled on first use."""
    global _cuda_step
    if _cuda_step is None:
        from numba import cuda

        from .bitops import cuda_ops
        cu_ffs, cu_fls = cuda_ops()

        @cuda.jit(device=True)
        def step(bitmap, iova, paddr, size):
            addr_merge = paddr | iova
            lim = cu_fls(size)
            if addr_merge != U64(0):
                a = cu_ffs(addr_merge)
                if a < lim:
                    lim = a
            pgsizes = bitmap & ((U64(2) << U64(lim)) - U64(1))
            idx = cu_fls(pgsizes)
            above = bitmap & ~((U64(2) << U64(idx)) - U64(1))
            if above != U64(0):
                nxt = U64(1) << U64(cu_ffs(above))
                nm1 = nxt - U64(1)
                if ((iova ^ paddr) & nm1) == U64(0):
                    off = nxt - (addr_merge & nm1)
                    if off + nxt <= size:
                        size = off
            return idx, size >> U64(idx)

        _cuda_step = step
    return _cuda_step
