"""The per-range bodies of the ``__iommu_map`` loop, shared by the CPU and GPU kernels."""
from __future__ import annotations

import numpy as np

from ..iommu_pgsize_step import iommu_pgsize_step
from ..streaming import store
from ..twin import device

U64 = np.uint64


@device
def advance(bitmap, v, p, s):
    """One ``__iommu_map`` step: (log2 pgsize, count, and iova, paddr, size after it)."""
    idx, cnt = iommu_pgsize_step(bitmap, v, p, s)
    mapped = cnt << U64(idx)
    return idx, cnt, v + mapped, p + mapped, s - mapped


@device
def count_range(bitmap, minmask, iova, paddr, size):
    """Steps ``__iommu_map`` takes for one range; -1 when it fails with -EINVAL (misaligned)."""
    if ((iova | paddr | size) & minmask) != U64(0):
        return -1
    k = 0
    while size != U64(0):
        idx, cnt, iova, paddr, size = advance(bitmap, iova, paddr, size)
        k += 1
    return k


@device
def write_steps(i, v, p, s, j, bitmap, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count):
    """Write the chunks of one valid range at ``o_*[j:]`` (non-temporal when ``nt``);
    returns the next free index.

    (Output columns travel as separate arrays: numba's parallel loops drop stores
    made through a named-tuple field.)"""
    while s != U64(0):
        idx, cnt, v2, p2, s = advance(bitmap, v, p, s)
        store(o_ri, j, i, nt)
        store(o_iova, j, v, nt)
        store(o_paddr, j, p, nt)
        store(o_pgsize, j, U64(1) << U64(idx), nt)
        store(o_count, j, cnt, nt)
        v = v2
        p = p2
        j += 1
    return j


@device
def walk_steps(bitmap, v, p, s, b_idx, b_cnt):
    """The steps of one valid range into ``b_idx``/``b_cnt`` (log2 pgsize, count),
    as many as fit; returns the number of steps (more than the buffer holds:
    only the first ``len(b_idx)`` were kept)."""
    k = 0
    while s != U64(0):
        idx, cnt, v, p, s = advance(bitmap, v, p, s)
        if k < b_idx.shape[0]:
            b_idx[k] = idx
            b_cnt[k] = cnt
        k += 1
    return k


@device
def write_walked(i, v, p, k, b_idx, b_cnt, j, nt, o_ri, o_iova, o_paddr, o_pgsize, o_count):
    """Write the ``k`` steps :func:`walk_steps` kept for range i (at iova v, paddr p) at ``o_*[j:]``."""
    for q in range(k):
        idx = b_idx[q]
        cnt = b_cnt[q]
        store(o_ri, j + q, i, nt)
        store(o_iova, j + q, v, nt)
        store(o_paddr, j + q, p, nt)
        store(o_pgsize, j + q, U64(1) << U64(idx), nt)
        store(o_count, j + q, cnt, nt)
        mapped = cnt << U64(idx)
        v += mapped
        p += mapped
