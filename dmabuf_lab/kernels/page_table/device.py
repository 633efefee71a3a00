"""Per-range bodies of the page-table builder, shared by the CPU and GPU kernels.

``f`` is a :class:`FormatRecord`: the format's page sizes and levels as the
compiled kernels read them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errno import EINVAL, ERANGE
from ..iommu_pgsize_step import iommu_pgsize_step
from ..pt_formats import (ADDR_MASK_52, AMD_IR, AMD_IW, AMD_NEXT_LEVEL_DEFAULT, AMD_NEXT_LEVEL_SHIFT, AMD_PR,
                          ARM_AF, ARM_CONT, ARM_TABLE_OR_PAGE, ARM_VALID, ENC_AMDV1, ENC_ARM, ENC_VTD, ENC_X86,
                          ENC_XE, SZ_2M, VTD_READ, VTD_WRITE, X86_PRESENT, X86_PS, X86_RW, XE_PAGE_PRESENT,
                          XE_PAGE_RW, XE_PDE_PS_2M, XE_PPGTT_PTE_DM, XE_PTE_PS64)
from ..streaming import store
from ..twin import device

U64 = np.uint64
TABLE_BITS = 9


class FormatRecord(NamedTuple):
    bitmap: np.uint64      # supported leaf sizes
    minmask: np.uint64     # smallest leaf size - 1
    va_lim: np.uint64      # 2**va_bits, 0 for the whole 64-bit space
    shifts: np.ndarray     # per level: log2 of one entry's span (int64)
    tsh: np.ndarray        # per level: log2 of one table's span (shift + 9)
    lvl_of: np.ndarray     # per log2 page size: its level
    is_xe: bool
    enc: np.int64
    dm: bool               # Xe device memory (XE_PPGTT_PTE_DM)
    stream: bool | None    # non-temporal output stores (CPU); None: plain, fixed when compiled (kernels.streaming)


@device
def range_status(v, o, s, f):
    if ((v | o | s) & f.minmask) != U64(0):
        return -EINVAL
    if f.va_lim != U64(0) and (v >= f.va_lim or s > f.va_lim - v):
        return -ERANGE
    return 0


@device
def xe_compact(a, b, rs, re):
    """64K pages of [a, b) inside 2M spans that lie wholly in [rs, re) (xe_pt_scan_64K)."""
    m = U64(SZ_2M - 1)
    f_lo = (rs + m) & ~m
    f_hi = re & ~m
    lo = a if a > f_lo else f_lo
    hi = b if b < f_hi else f_hi
    if hi > lo:
        return (hi - lo) >> U64(16)
    return U64(0)


@device
def table_block(a, sh):
    """Index of the ``2**sh``-byte table span holding VA ``a`` (the root: always 0)."""
    if sh >= 64:
        return np.int64(0)
    return np.int64(a >> U64(sh))


@device
def count_step(v, idx, cnt, rs, re, top, f, h, sl, fb, lbe):
    """Account one ``iommu_pgsize`` step of ``cnt`` pages of ``2**idx`` at VA
    ``v`` (range [rs, re)): leaf pages into ``h``, entries into ``sl``, the
    first/last bigger leaf into ``fb``/``lbe``.  Returns (highest leaf level, entries)."""
    lv = f.lvl_of[idx]
    mapped = cnt << U64(idx)
    h[idx] += np.int64(cnt)
    if f.is_xe and idx == 16:
        comp = xe_compact(v, v + mapped, rs, re)
        e = np.int64(comp + U64(16) * (cnt - comp))
    else:
        e = np.int64(cnt << U64(idx - f.shifts[lv]))
    sl[lv] += e
    if lv > top:
        for l in range(top, lv):  # levels below lv see their first big leaf here
            fb[l] = v
        top = lv
    for l in range(lv):
        lbe[l] = v + mapped
    return top, e


@device
def walk_range(v, o, s, f, h, sl, fb, lbe):
    """The map loop over one valid range, counting only: leaf pages per size
    into ``h``, entries per level into ``sl``; ``fb[l]``/``lbe[l]`` = VA of the
    first leaf above level l / end of the last one.  Returns (highest leaf
    level, entries)."""
    rs = v
    re = v + s
    top = 0
    ent = np.int64(0)
    while s != U64(0):
        idx, cnt = iommu_pgsize_step(f.bitmap, v, o, s)
        top, e = count_step(v, idx, cnt, rs, re, top, f, h, sl, fb, lbe)
        ent += e
        mapped = cnt << U64(idx)
        s -= mapped
        v += mapped
        o += mapped
    return top, ent


@device
def add_interval(a, b, sh, l, rev, cnt, first, last):
    """Count the table spans of VA [a, b) at level l, merged with the neighbour
    seen last: ``last`` when intervals arrive in increasing VA order, ``first``
    when they arrive in decreasing order (``rev``)."""
    lo = table_block(a, sh)
    hi = table_block(b - U64(1), sh)
    n = hi - lo + 1
    if rev:
        if first[l] == hi:
            n -= 1
        if last[l] < 0:
            last[l] = hi
        first[l] = lo
    else:
        if last[l] == lo:
            n -= 1
        if first[l] < 0:
            first[l] = lo
        last[l] = hi
    cnt[l] += n


@device
def add_range_tables(rs, re, top, fb, lbe, f, rev, cnt, first, last):
    """The table spans one range needs at every level: at and above its highest
    leaf level the whole range; below, the parts before its first and after its
    last bigger leaf (in decreasing VA order when ``rev``)."""
    for l in range(f.tsh.shape[0]):
        sh = f.tsh[l]
        if l >= top:
            add_interval(rs, re, sh, l, rev, cnt, first, last)
            continue
        a0, b0, a1, b1 = rs, fb[l], lbe[l], re
        if rev:
            a0, b0, a1, b1 = a1, b1, a0, b0
        if b0 > a0:
            add_interval(a0, b0, sh, l, rev, cnt, first, last)
        if b1 > a1:
            add_interval(a1, b1, sh, l, rev, cnt, first, last)


@device
def entry_template(enc, dm, lv, rep_gt1, compact):
    """(flag bits, address mask) shared by every entry of a run (not AMD v1)."""
    if enc == ENC_X86 or enc == ENC_VTD:
        f = U64(X86_PRESENT | X86_RW) if enc == ENC_X86 else U64(VTD_READ | VTD_WRITE)
        if lv > 0:
            f |= U64(X86_PS)
        return f, U64(ADDR_MASK_52)
    if enc == ENC_ARM:
        f = U64(ARM_VALID | ARM_AF)
        if lv == 0:
            f |= U64(ARM_TABLE_OR_PAGE)
        if rep_gt1:
            f |= U64(ARM_CONT)
        return f, U64(((1 << 48) - 1) & ~0xFFF)
    f = U64(XE_PAGE_PRESENT | XE_PAGE_RW)
    if dm:
        f |= U64(XE_PPGTT_PTE_DM)
    if not compact:
        if lv > 0:
            f |= U64(XE_PDE_PS_2M)
        if rep_gt1:
            f |= U64(XE_PTE_PS64)
    return f, U64(ADDR_MASK_52)


@device
def put_entry(j, va, pte, lv, nt, o_va, o_pte, o_lvl):
    """Store one leaf entry at index j (non-temporal when ``nt``); returns j + 1."""
    store(o_va, j, va, nt)
    store(o_pte, j, pte, nt)
    store(o_lvl, j, lv, nt)
    return j + 1


@device
def write_step(v, o, idx, cnt, rs, re, j, f, o_va, o_pte, o_lvl):
    """Write the entries of one ``iommu_pgsize`` step (``cnt`` pages of
    ``2**idx`` at VA ``v``, address ``o``, range [rs, re)) at ``o_*[j:]``;
    returns the next free index."""
    amd_flags = U64(AMD_PR | AMD_IR | AMD_IW)
    amd_rep = U64(AMD_NEXT_LEVEL_DEFAULT << AMD_NEXT_LEVEL_SHIFT)
    lv = np.int8(f.lvl_of[idx])
    sh = f.shifts[lv]
    pg = U64(1) << U64(idx)
    nent = np.int64(1) << (idx - sh)
    e_sh = U64(sh)
    flags, amask = entry_template(f.enc, f.dm, lv, nent > 1, False)
    xe64 = f.enc == ENC_XE and idx == 16
    if nent == 1 and f.enc != ENC_AMDV1 and not xe64:
        # one entry per page, address advancing with it: the common case
        for _ in range(np.int64(cnt)):
            j = put_entry(j, v, flags | (o & amask), lv, f.stream, o_va, o_pte, o_lvl)
            v += pg
            o += pg
        return j
    for _ in range(np.int64(cnt)):
        if xe64:
            span = v & ~U64(SZ_2M - 1)
            if span >= rs and span + U64(SZ_2M) <= re:  # compact table: one 64K entry
                f2, m2 = entry_template(f.enc, f.dm, lv, False, True)
                j = put_entry(j, v, f2 | (o & m2), lv, f.stream, o_va, o_pte, o_lvl)
                v += pg
                o += pg
                continue
        if f.enc == ENC_AMDV1:
            if nent > 1:  # the same entry replicated, page size in the address bits
                e = (((o | (pg - U64(1))) & ~(pg >> U64(1))) & U64(ADDR_MASK_52)) | amd_flags | amd_rep
            else:
                e = (o & U64(ADDR_MASK_52)) | amd_flags
            for k in range(nent):
                j = put_entry(j, v + (U64(k) << e_sh), e, lv, f.stream, o_va, o_pte, o_lvl)
        else:
            for k in range(nent):
                off = U64(k) << e_sh
                j = put_entry(j, v + off, flags | ((o + off) & amask), lv, f.stream, o_va, o_pte, o_lvl)
        v += pg
        o += pg
    return j


@device
def write_leaves(v, o, s, j, f, o_va, o_pte, o_lvl):
    """Write the leaf entries of one valid range at ``o_*[j:]``; returns the next free index."""
    rs = v
    re = v + s
    while s != U64(0):
        idx, cnt = iommu_pgsize_step(f.bitmap, v, o, s)
        j = write_step(v, o, idx, cnt, rs, re, j, f, o_va, o_pte, o_lvl)
        mapped = cnt << U64(idx)
        s -= mapped
        v += mapped
        o += mapped
    return j


@device
def order_flags(va, size, i):
    """Range i against range i - 1: 1 = not sorted by VA, 2 = the two overlap."""
    if i == 0:
        return 0
    v = va[i]
    pv = va[i - 1]
    ps = size[i - 1]
    if v < pv:
        return 1
    if ps != U64(0) and (pv + ps > v or pv + ps < pv):
        return 2
    return 0


@device
def visit_range(i, va, oa, size, f, status, h, sl, fb, lbe):
    """Status of range i and, when it maps anything, its walk: (highest leaf
    level, entries), or (-1, 0) when it maps nothing."""
    v = va[i]
    o = oa[i]
    s = size[i]
    st = range_status(v, o, s, f)
    store(status, i, st, f.stream)
    if st != 0 or s == U64(0):
        return -1, np.int64(0)
    return walk_range(v, o, s, f, h, sl, fb, lbe)
