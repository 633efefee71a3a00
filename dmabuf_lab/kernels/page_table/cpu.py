"""Page tables on the CPU (numba, parallel).

With at most two threads (:func:`threads.two_thread_pass`) one read of the
input counts and writes (:func:`build_one_pass`: the two threads write
towards each other from the two ends of the input, into an output sized by
an upper bound).  With more, a summary pass over chunks of ranges (count,
first and last table block per chunk, combined in VA order), a prefix sum and
an emit pass.
"""
from __future__ import annotations

import numpy as np

from .. import backends, threads
from ..iommu_pgsize_step import iommu_pgsize_step
from ..jit import nb_ffs, numba
from ..meet import claim, half_of, nth
from ..streaming import nt_flag, store, stream_fence  # noqa: F401  (nt_flag: for the caller)
from ..twin import cpu_kernel
from .device import (add_range_tables, count_step, order_flags, range_status, visit_range, walk_range, write_leaves,
                     write_step)
from .ranges import OVERLAP_MSG, sort_and_check
from .result import LeafColumns, PageTableSummary, PtLeaves

U64 = np.uint64
ONE_PASS_ENTRIES_PER_RANGE = 16  # above this bound on leaf entries per range, count -> emit sizes the output


@numba.njit(inline="always", cache=True)
def _scratch(L):
    """Per-row accumulators: leaf pages per size, entries, table count/first/last, fb, lbe."""
    tf = np.full(L, -1, dtype=np.int64)
    return (np.zeros(64, dtype=np.int64), np.zeros(L, dtype=np.int64), np.zeros(L, dtype=np.int64), tf,
            tf.copy(), np.empty(L, dtype=np.uint64), np.empty(L, dtype=np.uint64))


@numba.njit(inline="always", cache=True)
def _flush(r, h, sl, tc, tf, tl, hist, slots, tcount, tfirst, tlast):
    """Row r of the per-row results (kept local while walking: no false sharing).
    The five arrays travel separately: numba's parallel loops drop stores made
    into arrays unpacked from a tuple argument."""
    hist[r, :] = h
    slots[r, :] = sl
    tcount[r, :] = tc
    tfirst[r, :] = tf
    tlast[r, :] = tl


@numba.njit(inline="always", cache=True)
def smallest_steps(bitmap):
    """(log2 of the smallest page size, the second smallest page size or 2**64 - 1
    when there is one size only).  An aligned range shorter than the second size
    is one ``iommu_pgsize`` step of smallest pages: no larger size fits below
    its length, and the look-ahead to the next size needs at least that size."""
    rest = bitmap & (bitmap - U64(1))
    p1 = rest & (~rest + U64(1)) if rest != U64(0) else ~U64(0)
    return np.int64(nb_ffs(bitmap)), p1


@cpu_kernel(parallel=True, cache=True)
def summary(va, oa, size, f, bounds, status, flags, hist, slots, tcount, tfirst, tlast):
    for c in numba.prange(bounds.shape[0] - 1):
        h, sl, tc, tf, tl, fb, lbe = _scratch(f.shifts.shape[0])
        fl = 0
        for i in range(bounds[c], bounds[c + 1]):
            fl |= order_flags(va, size, i)
            top, m = visit_range(i, va, oa, size, f, status, h, sl, fb, lbe)
            if top >= 0:
                add_range_tables(va[i], va[i] + size[i], top, fb, lbe, f, False, tc, tf, tl)
        _flush(c, h, sl, tc, tf, tl, hist, slots, tcount, tfirst, tlast)
        flags[c] = fl
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def emit(va, oa, size, f, bounds, offsets, status, o_va, o_pte, o_lvl):
    for c in numba.prange(bounds.shape[0] - 1):
        j = offsets[c]
        for i in range(bounds[c], bounds[c + 1]):
            if status[i] == 0:
                j = write_leaves(va[i], oa[i], size[i], j, f, o_va, o_pte, o_lvl)
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def entries_bound(size, half, shift, out):
    """Upper bound on the leaf entries of ranges ``[0, half)`` and ``[half, n)``:
    every entry maps at least 2**shift bytes (each range's share capped at 2**32)."""
    n = size.shape[0]
    for t in numba.prange(2):
        lo = 0 if t == 0 else half
        hi = half if t == 0 else n
        acc = U64(0)
        for i in range(lo, hi):
            x = size[i] >> U64(shift)
            acc += x if x < U64(1 << 32) else U64(1 << 32)
        out[t] = acc


@cpu_kernel(parallel=True, cache=True)
def build_one_pass(va, oa, size, f, materialize, half, mid, status, flags, hist, slots, tcount, tfirst, tlast,
                   o_va, o_pte, o_lvl, ends):
    """Summary and (with ``materialize``) leaf entries in one read of the input, on two threads.

    Thread 0 walks ranges ``[0, half)`` backwards, writing each range's leaves
    just below the previous ones so that they end at ``mid``; thread 1 walks
    ``[half, n)`` forwards from ``mid``: the leaves are ``o_*[ends[0]:ends[1]]``
    in VA order.  The caller sizes ``mid`` and the arrays from an upper bound
    (entries <= size >> level-0 shift); flag 4 if it was wrong.  Row t of
    the per-row arrays is thread t's part, rows in VA order, as :func:`summary` gives
    them per chunk.  A range that one ``iommu_pgsize`` step maps whole (every
    range shorter than the format's second page size, and most others) is
    counted and written from that one step; the others are walked twice,
    counting and then writing."""
    n = va.shape[0]
    cap = o_va.shape[0]
    sh0 = f.tsh[0]
    idx0, p1 = smallest_steps(f.bitmap)
    for t in numba.prange(2):
        h, sl, tc, tf, tl, fb, lbe = _scratch(f.shifts.shape[0])
        fl = 0
        low_only = False  # the last range counted mapped only level-0 leaves: its tables nest
        j = mid
        lo_i, hi_i = half_of(t, half, n)
        for r in range(hi_i - lo_i):
            i = nth(t, lo_i, hi_i, r)
            fl |= order_flags(va, size, i)
            rs = va[i]
            o = oa[i]
            s = size[i]
            st = range_status(rs, o, s, f)
            store(status, i, st, f.stream)
            if st != 0 or s == U64(0):
                continue
            re = rs + s
            # the first iommu_pgsize step; when it maps the whole range (one page
            # size: the common case) it is counted and written from this one walk
            if s < p1:  # shorter than the second page size: one step of the smallest pages
                idx, cnt = idx0, s >> U64(idx0)
            else:
                idx, cnt = iommu_pgsize_step(f.bitmap, rs, o, s)
            single = (cnt << U64(idx)) == s
            if single:
                top, m = count_step(rs, idx, cnt, rs, re, 0, f, h, sl, fb, lbe)
            else:
                top, m = walk_range(rs, o, s, f, h, sl, fb, lbe)
            # when this range and the last one both hold only level-0 leaves and share
            # their level-0 table, they share every table above it too: nothing new
            same = False
            if top == 0 and low_only and sh0 < 64:
                b0 = np.int64(rs >> U64(sh0))
                same = b0 == np.int64((re - U64(1)) >> U64(sh0)) and b0 == (tl[0] if t == 1 else tf[0])
            low_only = top == 0
            if not same:
                add_range_tables(rs, re, top, fb, lbe, f, t == 0, tc, tf, tl)
            if materialize:
                at, j = claim(t, j, m, cap)
                if at < 0:
                    fl |= 4
                    continue
                if single:
                    write_step(rs, o, idx, cnt, rs, re, at, f, o_va, o_pte, o_lvl)
                else:
                    write_leaves(rs, o, s, at, f, o_va, o_pte, o_lvl)
        _flush(t, h, sl, tc, tf, tl, hist, slots, tcount, tfirst, tlast)
        flags[t] = fl
        ends[t] = j
        stream_fence()


def entries_bounds(size, fmt):
    """At most one leaf entry per smallest page: the bounds for ranges
    ``[0, n // 2)`` and ``[n // 2, n)`` (a cheap bound that decides how the
    entries are stored, not where), as a 2-array the one-pass kernel reuses."""
    bound = np.zeros(2, dtype=U64)
    if size.shape[0]:
        entries_bound(size, np.int64(size.shape[0] // 2), np.int64(fmt.level_shifts[0]), bound)
    return bound


def entries_upper_bound(size, fmt) -> int:
    """The sum of :func:`entries_bounds`."""
    bound = entries_bounds(size, fmt)
    return int(bound[0]) + int(bound[1])


def _acc(rows, L):
    """(hist, slots, tcount, tfirst, tlast), one row per chunk or thread."""
    return (np.zeros((rows, 64), dtype=np.int64), np.zeros((rows, L), dtype=np.int64),
            np.zeros((rows, L), dtype=np.int64), np.full((rows, L), -1, dtype=np.int64),
            np.full((rows, L), -1, dtype=np.int64))


def combine_tables(tcount, tfirst, tlast):
    """Fold per-row (count, first block, last block) in VA order."""
    nrows, L = tcount.shape
    out = []
    for l in range(L):
        total, last = 0, -1
        for c in range(nrows):
            if tfirst[c, l] < 0:
                continue
            total += int(tcount[c, l]) - (1 if tfirst[c, l] == last else 0)
            last = int(tlast[c, l])
        out.append(total)
    return out


def _summary(fmt, acc, status, leaves):
    hist, slots, tcount, tfirst, tlast = acc
    h = hist.sum(axis=0)
    return PageTableSummary(fmt.name, {1 << b: int(h[b]) for b in range(64) if h[b]},
                            [int(x) for x in slots.sum(axis=0)], combine_tables(tcount, tfirst, tlast),
                            status, leaves)


def _leaf_columns(workspace, n):
    return LeafColumns(backends.empty(workspace, "va", n, U64), backends.empty(workspace, "pte", n, U64),
                       backends.empty(workspace, "level", n, np.int8))


def _one_pass(va, oa, size, fmt, rec, materialize: bool, workspace, bound=None):
    """:func:`build_one_pass` and the summary from its two rows; None when its
    bound on the output is too loose to be worth the memory (or was wrong).
    ``bound``: :func:`entries_bounds` of ``size`` when the caller has it."""
    n = va.shape[0]
    half = n // 2
    mid = cap = 0
    if materialize:
        if bound is None:
            bound = entries_bounds(size, fmt)
        mid, cap = int(bound[0]), int(bound[0]) + int(bound[1])
        if cap > ONE_PASS_ENTRIES_PER_RANGE * n + 4096:
            return None
    acc = _acc(2, fmt.levels)
    flags = np.zeros(2, dtype=np.int64)
    ends = np.zeros(2, dtype=np.int64)
    status = backends.empty(workspace, "status", n, np.int32)
    out = _leaf_columns(workspace, cap)
    build_one_pass(va, oa, size, rec, materialize, np.int64(half), np.int64(mid), status, flags, *acc, *out, ends)
    if np.any(flags & 1):  # not sorted by VA: sort (and check overlap) with numpy, then run again
        return _one_pass(*sort_and_check(va, oa, size), fmt, rec, materialize, workspace)
    if np.any(flags & 2):
        raise ValueError(OVERLAP_MSG)
    if np.any(flags & 4):
        return None
    leaves = PtLeaves(*(a[ends[0]:ends[1]] for a in out)) if materialize else None
    return _summary(fmt, acc, status, leaves)


def build(va, oa, size, fmt, rec, materialize: bool, workspace=None, one_pass: bool | None = None, bound=None):
    """Summary (and leaves) on the CPU; ``rec`` is the format's :class:`FormatRecord`;
    ``bound``: :func:`entries_bounds` of ``size`` when the caller has it."""
    threads.before_first_parallel_kernel()
    if threads.two_thread_pass() if one_pass is None else one_pass:
        r = _one_pass(va, oa, size, fmt, rec, materialize, workspace, bound)
        if r is not None:
            return r
    n = va.shape[0]
    bounds = backends.chunk_bounds(n)
    nc = bounds.shape[0] - 1
    acc = _acc(nc, fmt.levels)
    flags = np.zeros(nc, dtype=np.int64)
    status = backends.empty(workspace, "status", n, np.int32)
    summary(va, oa, size, rec, bounds, status, flags, *acc)
    if np.any(flags & 1):  # not sorted by VA: sort (and check overlap) with numpy, then run again
        return build(*sort_and_check(va, oa, size), fmt, rec, materialize, workspace, one_pass=False)
    if np.any(flags & 2):
        raise ValueError(OVERLAP_MSG)
    leaves = None
    if materialize:
        offsets = np.zeros(nc + 1, dtype=np.int64)
        np.cumsum(acc[1].sum(axis=1), out=offsets[1:])
        out = _leaf_columns(workspace, int(offsets[-1]))
        emit(va, oa, size, rec, bounds, offsets, status, *out)
        leaves = PtLeaves(*out)
    return _summary(fmt, acc, status, leaves)
