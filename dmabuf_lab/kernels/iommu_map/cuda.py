"""The ``__iommu_map`` split on the GPU (numba.cuda; CuPy arrays stay on the device).

One thread per range: count, prefix sum, emit -- the same device bodies as
the CPU kernels.
"""
from __future__ import annotations

import numpy as np

from .. import backends
from ..errno import EINVAL
from ..twin import cuda_kernel
from .device import count_range, write_steps
from .result import COLUMNS, SplitChunks, SplitResult

U64 = np.uint64
cuda = None  # numba.cuda, bound on first use (the simulator swaps this global per kernel)
_KERNELS = {}


def count_kernel(bitmap, minmask, iova, paddr, size, counts, status):
    i = cuda.grid(1)
    if i < iova.shape[0]:
        k = count_range(bitmap, minmask, iova[i], paddr[i], size[i])
        status[i] = -EINVAL if k < 0 else 0
        counts[i] = max(k, 0)


def emit_kernel(bitmap, iova, paddr, size, offsets, status, o_ri, o_iova, o_paddr, o_pgsize, o_count):
    i = cuda.grid(1)
    if i < iova.shape[0] and status[i] == 0:
        write_steps(i, iova[i], paddr[i], size[i], offsets[i], bitmap, False, o_ri, o_iova, o_paddr, o_pgsize, o_count)


def _kernels():
    global cuda
    if not _KERNELS:
        from numba import cuda
        _KERNELS.update(count=cuda_kernel(count_kernel), emit=cuda_kernel(emit_kernel))
    return _KERNELS


def split(iova, paddr, size, pgsize_bitmap: int) -> SplitResult:
    k = _kernels()
    dev = backends.DeviceArrays(backends.is_device_array(iova))
    iova, paddr, size = dev.put(iova), dev.put(paddr), dev.put(size)
    n = iova.shape[0]
    bitmap = U64(pgsize_bitmap)
    minmask = U64((pgsize_bitmap & -pgsize_bitmap) - 1)
    counts = dev.zeros(n, np.int64)
    status = dev.zeros(n, np.int32)
    blocks, nthreads = backends.cuda_launch_shape(n)
    if n:
        k["count"][blocks, nthreads](bitmap, minmask, iova, paddr, size, counts, status)
    offsets = dev.exclusive_scan(counts)
    total = int(offsets[-1])
    out = SplitChunks(*(dev.empty(total, dt) for _, dt in COLUMNS))
    if n and total:
        k["emit"][blocks, nthreads](bitmap, iova, paddr, size, offsets, status, *out)
    return SplitResult(*(dev.out(a) for a in out), dev.out(status))
