"""The ``__iommu_map`` split on the CPU (numba, parallel).

With more than two threads: count -> prefix sum -> emit over chunks of
ranges.  With at most two (:func:`threads.two_thread_pass`), one read of the
input: each range is counted then written at once, the two threads writing
towards each other (:func:`split_one_pass`).
"""
from __future__ import annotations

import numpy as np

from .. import backends, threads
from ..jit import numba
from ..errno import EINVAL
from ..meet import claim, half_of, nth
from ..streaming import nt_flag, store, stream_fence
from ..twin import cpu_kernel
from .device import count_range, walk_steps, write_steps, write_walked
from .result import COLUMNS, SplitChunks, SplitResult

U64 = np.uint64
STEP_BUFFER = 16  # steps of one range kept between its walk and its writes (x86: at most 6 with 4K/2M/1G)


@cpu_kernel(parallel=True, cache=True)
def count_chunks(bitmap, minmask, iova, paddr, size, bounds, chunk_counts, status, nt):
    for c in numba.prange(bounds.shape[0] - 1):
        tot = 0
        for i in range(bounds[c], bounds[c + 1]):
            k = count_range(bitmap, minmask, iova[i], paddr[i], size[i])
            store(status, i, -EINVAL if k < 0 else 0, nt)
            tot += max(k, 0)
        chunk_counts[c] = tot
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def emit_chunks(bitmap, iova, paddr, size, bounds, offsets, status, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count):
    for c in numba.prange(bounds.shape[0] - 1):
        j = offsets[c]
        for i in range(bounds[c], bounds[c + 1]):
            if status[i] == 0:
                j = write_steps(i, iova[i], paddr[i], size[i], j, bitmap, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count)
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def split_one_pass(bitmap, minmask, iova, paddr, size, half, mid, status, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count,
                   ends):
    """count -> emit in one read of the input, on two threads: thread 0 walks
    ranges ``[0, half)`` backwards writing its chunks so they end at ``mid``,
    thread 1 walks ``[half, n)`` forwards from ``mid``; the chunks are
    ``o_*[ends[0]:ends[1]]`` in range order.  Each range is walked once, its
    steps kept in a small buffer and written from it (a range of more than
    :data:`STEP_BUFFER` steps is walked again to write).  ``ends[t] = -1``: thread t ran
    out of room (the caller then runs count -> emit)."""
    for t in numba.prange(2):
        b_idx = np.empty(STEP_BUFFER, dtype=np.int64)  # the steps of the range being walked
        b_cnt = np.empty(STEP_BUFFER, dtype=np.uint64)
        j = mid
        lo, hi = half_of(t, half, iova.shape[0])
        for r in range(hi - lo):
            i = nth(t, lo, hi, r)
            v = iova[i]
            p = paddr[i]
            s = size[i]
            bad = ((v | p | s) & minmask) != U64(0)
            store(status, i, -EINVAL if bad else 0, nt)
            if bad or s == U64(0):
                continue
            k = walk_steps(bitmap, v, p, s, b_idx, b_cnt)
            at, j = claim(t, j, k, o_iova.shape[0])
            if at < 0:
                j = -1
                break
            if k <= STEP_BUFFER:  # written from the one walk
                write_walked(i, v, p, k, b_idx, b_cnt, at, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count)
            else:
                write_steps(i, v, p, s, at, bitmap, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count)
        ends[t] = j
        stream_fence()


def _columns(workspace, n):
    return SplitChunks(*(backends.empty(workspace, key, n, dt) for key, dt in COLUMNS))


def split(iova, paddr, size, pgsize_bitmap: int, workspace=None, one_pass: bool | None = None) -> SplitResult:
    threads.before_first_parallel_kernel()
    n = iova.shape[0]
    bitmap = U64(pgsize_bitmap)
    minmask = U64((pgsize_bitmap & -pgsize_bitmap) - 1)
    status = backends.empty(workspace, "status", n, np.int32)
    nt = nt_flag(44 * n)  # status and at least one chunk per range
    if (threads.two_thread_pass() if one_pass is None else one_pass) and n:
        half = n // 2
        slack = n // 2 + 64  # room for two chunks per range on average before falling back
        out = _columns(workspace, n + 2 * slack)
        ends = np.zeros(2, dtype=np.int64)
        split_one_pass(bitmap, minmask, iova, paddr, size, np.int64(half), np.int64(half + slack), status, nt, *out, ends)
        e0, e1 = int(ends[0]), int(ends[1])
        if e0 >= 0 and e1 >= 0:
            return SplitResult.of(SplitChunks(*(a[e0:e1] for a in out)), status)
    bounds = backends.chunk_bounds(n)
    chunk_counts = np.zeros(bounds.shape[0] - 1, dtype=np.int64)
    count_chunks(bitmap, minmask, iova, paddr, size, bounds, chunk_counts, status, nt)
    offsets = np.zeros(chunk_counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(chunk_counts, out=offsets[1:])
    out = _columns(workspace, int(offsets[-1]))
    emit_chunks(bitmap, iova, paddr, size, bounds, offsets, status, nt, *out)
    return SplitResult.of(out, status)
