"""Per-range bodies of the translation, shared by the CPU and GPU kernels.

``t`` is a :class:`~.topology.TopologyRecord`.  Output columns travel as
separate arrays (numba's parallel loops drop stores made through a
named-tuple field).  Indices are int64 throughout.
"""
from __future__ import annotations

import numpy as np

from ..errno import EINVAL, ENODEV, ERANGE
from ..streaming import store
from ..twin import device, fls

U64 = np.uint64


@device
def upper_index(keys, lo, hi, x):
    """Index of the last ``keys[lo:hi]`` element <= x (lo - 1 if none); keys sorted.

    Short lists are counted in one pass the compiler vectorises (a handful of
    VF windows or blocks); longer ones are searched by halving."""
    n = hi - lo
    if n <= 64:
        c = 0
        for k in range(lo, hi):
            c += keys[k] <= x
        return lo + c - 1
    base = lo
    while n > 1:
        half = n >> 1
        if keys[base + half] <= x:
            base = base + half
        n -= half
    return base if keys[base] <= x else base - 1


@device
def window_of(a, t):
    """Window index of BAR address ``a`` (-1: none): SR-IOV arithmetic, else one
    load from the window granule table, else the search over sorted bases.
    The caller still checks ``a`` against the window's end."""
    if t.use_sriov:
        if a < t.sriov_base:
            return np.int64(-1)
        rel = a - t.sriov_base
        q = rel >> U64(t.sriov_shift) if t.sriov_shift >= 0 else rel // t.sriov_size
        return np.int64(q) if q < U64(t.sriov_count) else np.int64(-1)
    if t.wshift >= 0:
        if a < t.win_base[0]:
            return np.int64(-1)
        g = (a - t.win_base[0]) >> U64(t.wshift)
        return np.int64(t.wtab[g]) if g < U64(t.wtab.shape[0]) else np.int64(-1)
    return np.int64(upper_index(t.win_base, 0, t.win_base.shape[0], a))


@device
def block_of(v, off, t):
    """Global index of VF v's block holding object offset off (off < quota)."""
    if t.bshift > 0:
        return t.blk_ptr[v] + np.int64(off >> U64(t.bshift))
    if t.gshift >= 0:
        return np.int64(t.gtab[t.gptr[v] + np.int64(off >> U64(t.gshift))])
    return np.int64(upper_index(t.blk_off, t.blk_ptr[v], t.blk_ptr[v + 1], off))


@device
def place_sriov(a, ln, t):
    """:func:`place` on the fast path: power-of-two SR-IOV windows and one
    power-of-two block size -- window, VF, offset and blocks by shifts, without
    the window arrays."""
    sh = U64(t.sriov_shift)
    rel = a - t.sriov_base
    w = rel >> sh
    if a < t.sriov_base or w >= U64(t.sriov_count):
        return np.int32(-ENODEV), np.int32(-1), np.int64(0), U64(0), np.int64(0)
    v = np.int64(w)
    off = rel & ((U64(1) << sh) - U64(1))
    q = t.quota[v]
    if ln == U64(0):
        return np.int32(-EINVAL), np.int32(v), np.int64(0), U64(0), np.int64(0)
    if ln > (U64(1) << sh) - off or off >= q or ln > q - off:
        return np.int32(-ERANGE), np.int32(v), np.int64(0), U64(0), np.int64(0)
    bs = U64(t.bshift)
    m = np.int64(((off + ln - U64(1)) >> bs) - (off >> bs)) + 1
    return np.int32(0), np.int32(v), t.blk_ptr[v] + np.int64(off >> bs), off & ((U64(1) << bs) - U64(1)), m


@device
def fast_path(t):
    """Whether :func:`place_sriov` applies to every range of topology ``t``."""
    return t.use_sriov and t.sriov_shift >= 0 and t.bshift > 0


@device
def place(a, ln, t):
    """Correct-mode translation of one range up to its first block:
    (status, vf, first block, offset into it, number of segments)."""
    if fast_path(t):
        return place_sriov(a, ln, t)
    w = window_of(a, t)
    if w < 0:
        return np.int32(-ENODEV), np.int32(-1), np.int64(0), U64(0), np.int64(0)
    off = a - t.win_base[w]
    wsz = t.win_size[w]
    if off >= wsz:
        return np.int32(-ENODEV), np.int32(-1), np.int64(0), U64(0), np.int64(0)
    v = t.win_vf[w]
    q = t.quota[v]
    if ln == U64(0):
        return np.int32(-EINVAL), np.int32(v), np.int64(0), U64(0), np.int64(0)
    if ln > wsz - off or off >= q or ln > q - off:
        return np.int32(-ERANGE), np.int32(v), np.int64(0), U64(0), np.int64(0)
    last = off + ln - U64(1)
    if t.bshift > 0:  # one power-of-two block size: shifts only
        bs = U64(t.bshift)
        m = np.int64((last >> bs) - (off >> bs)) + 1
        return np.int32(0), np.int32(v), block_of(v, off, t), off & ((U64(1) << bs) - U64(1)), m
    k = block_of(v, off, t)
    inner = off - t.blk_off[k]
    if ln <= t.blk_len[k] - inner:
        return np.int32(0), np.int32(v), k, inner, np.int64(1)
    return np.int32(0), np.int32(v), k, inner, block_of(v, last, t) - k + 1


@device
def write_segments(i, k, inner, rem, m, j, t, o_ri, o_dpa, o_len):
    """Write range ``i``'s ``m`` segments at ``o_*[j:j + m]``, starting ``inner`` bytes into block ``k``."""
    if m == 1:  # the common case: the range stays inside one block
        store(o_ri, j, i, t.stream)
        store(o_dpa, j, t.blk_dpa[k] + inner, t.stream)
        store(o_len, j, rem, t.stream)
        return
    seg = t.blk_len[k] - inner
    for s in range(m):
        if seg > rem:
            seg = rem
        store(o_ri, j, i, t.stream)
        store(o_dpa, j, t.blk_dpa[k] + inner, t.stream)
        store(o_len, j, seg, t.stream)
        rem -= seg
        inner = U64(0)
        k += 1
        j += 1
        if s + 1 < m:
            seg = t.blk_len[k]


@device
def rfc_place(a, ln, t):
    """The RFC's translation of one range: the last page of every window is
    missed, only the start is translated, the length becomes ``get_order(len)``.
    Returns (status, vf, dpa, order)."""
    x = (ln - U64(1)) >> U64(12)  # get_order(len) = fls64((len - 1) >> PAGE_SHIFT)
    order = np.uint8(0) if x == U64(0) else np.uint8(fls(x) + 1)
    w = window_of(a, t)
    if w < 0:
        return np.int32(-ENODEV), np.int32(-1), U64(0), order
    off = a - t.win_base[w]
    wsz = t.win_size[w]
    if off >= wsz or off >= wsz - t.page:
        return np.int32(-ENODEV), np.int32(-1), U64(0), order
    v = t.win_vf[w]
    if off >= t.quota[v]:
        return np.int32(-ERANGE), np.int32(v), U64(0), order
    k = block_of(v, off, t)
    return np.int32(0), np.int32(v), t.blk_dpa[k] + (off - t.blk_off[k]), order
