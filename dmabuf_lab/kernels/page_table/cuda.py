"""The page-table summary on the GPU (numba.cuda), one thread per range.

Each thread walks its range with the CPU's device bodies, adds its leaf
counts atomically and records up to two table-span intervals per level; the
host merges the intervals in VA order.  ``materialize=True`` entries still
come from the numpy path here (there is no GPU emit kernel yet).
"""
from __future__ import annotations

import numpy as np

from .. import backends
from ..twin import cuda_kernel
from .device import table_block, visit_range

U64 = np.uint64
cuda = None  # numba.cuda, bound on first use (the simulator swaps this global per kernel)
_KERNELS = {}
MAX_LEVELS = 8


def summary_kernel(va, oa, size, f, hist, slots, ivl, status):
    # ivl[i, l, 0..3] = lo1, hi1, lo2, hi2 table blocks (-1: none)
    i = cuda.grid(1)
    if i >= va.shape[0]:
        return
    L = f.shifts.shape[0]
    for l in range(L):
        for q in range(4):
            ivl[i, l, q] = -1
    h = cuda.local.array(64, dtype=np.int64)
    sl = cuda.local.array(MAX_LEVELS, dtype=np.int64)
    fb = cuda.local.array(MAX_LEVELS, dtype=np.uint64)
    lbe = cuda.local.array(MAX_LEVELS, dtype=np.uint64)
    for b in range(64):
        h[b] = 0
    for l in range(L):
        sl[l] = 0
    top, m = visit_range(i, va, oa, size, f, status, h, sl, fb, lbe)
    if top < 0:
        return
    for b in range(64):
        if h[b] != 0:
            cuda.atomic.add(hist, b, h[b])
    rs = va[i]
    re = rs + size[i]
    for l in range(L):
        cuda.atomic.add(slots, l, sl[l])
        sh = f.tsh[l]
        a0, b0, a1, b1 = rs, re, re, re
        if l < top:
            a0, b0, a1, b1 = rs, fb[l], lbe[l], re
        if b0 > a0:
            ivl[i, l, 0] = table_block(a0, sh)
            ivl[i, l, 1] = table_block(b0 - U64(1), sh)
        if b1 > a1:
            ivl[i, l, 2] = table_block(a1, sh)
            ivl[i, l, 3] = table_block(b1 - U64(1), sh)


def _kernels():
    global cuda
    if not _KERNELS:
        from numba import cuda
        _KERNELS.update(summary=cuda_kernel(summary_kernel))
    return _KERNELS


def merged_spans(iv) -> int:
    """Distinct table spans of intervals listed in VA order (-1 rows: none)."""
    pairs = iv.reshape(-1, 2)
    pairs = pairs[pairs[:, 0] >= 0]
    if pairs.size == 0:
        return 0
    lo, hi = pairs[:, 0], pairs[:, 1]
    return int((hi - lo + 1).sum()) - int(np.count_nonzero(lo[1:] == hi[:-1]))


def summary(va, oa, size, fmt, rec_of):
    """(leaf pages per size, entries per level, table pages per level, status)."""
    k = _kernels()
    dev = backends.DeviceArrays(False)
    n = va.shape[0]
    L = fmt.levels
    if L > MAX_LEVELS:
        raise ValueError(f"{fmt.name}: {L} levels, the GPU kernel holds at most {MAX_LEVELS}")
    hist = dev.zeros(64, np.int64)
    slots = dev.zeros(L, np.int64)
    ivl = dev.zeros((n, L, 4), np.int64)
    status = dev.zeros(n, np.int32)
    if n:
        blocks, nthreads = backends.cuda_launch_shape(n)
        k["summary"][blocks, nthreads](dev.put(va), dev.put(oa), dev.put(size), rec_of(dev.put), hist, slots,
                                       ivl, status)
    h = backends.to_host(hist)
    iv = backends.to_host(ivl)
    return ({1 << b: int(h[b]) for b in range(64) if h[b]}, [int(x) for x in backends.to_host(slots)],
            [merged_spans(iv[:, l, :]) for l in range(L)], backends.to_host(status))
