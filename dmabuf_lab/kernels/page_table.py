"""Page-table construction for many ranges at once: ``build_page_table``.

Each input range ``(va, oa, size)`` is cut into leaves the way the kernel's
map loops do it (the ``iommu_pgsize`` walk with the format's page sizes;
property tests check it against a page-by-page ``pt_compute_best_pgsize``
walk).  The summary counts

* leaf pages per page size and leaf entries ("slots") per level -- a page
  larger than its level's entry is several entries: AMD v1 replicates the
  entry, ARM uses 16 entries with the contiguous hint, Xe uses 16 PS64
  entries or one entry in a compact 64K table;
* table pages per level: a table at level ``l`` exists for every
  ``2**(shift_l + 9)``-byte VA block that holds a leaf at level ``l`` or
  below (the root always, once anything is mapped);
* bytes of page-table memory (table pages x 4 KiB).

With ``materialize=True`` it also returns every leaf entry (VA, entry bits,
level).  Every fast backend runs count -> prefix sum -> emit; the table
counts combine per-chunk partial results (count, first and last block) in
VA order, so ranges must be sorted by VA and must not overlap (they are
sorted here when they are not).  With at most two CPU threads the numba
backend counts and writes in one read of the input instead
(:func:`build_one_pass`: the two threads write towards each other from the
two ends of the input, into an output sized by an upper bound).

Xe rules (xe_pt.c): a 2M/1G leaf only where the range covers the whole
entry and VA and address are aligned (``xe_pt_hugepte_possible``); a
level-0 table whose whole 2M span is covered and 64K-mappable becomes a
compact table of 32 x 64K entries (``xe_pt_scan_64K``); elsewhere 64K runs
are 16 x 4K entries with ``XE_PTE_PS64``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backends
from .bitops import numba
from .iommu_pgsize_step import cuda_iommu_pgsize_step
from .iommu_pgsize_step import iommu_pgsize_step as step
from .bitops import __ffs
from .pt_best_pgsize import pt_best_pgsize
from .pt_formats import (ADDR_MASK_52, AMD_IR, AMD_IW, AMD_NEXT_LEVEL_DEFAULT, AMD_NEXT_LEVEL_SHIFT, AMD_PR,
                         ARM_AF, ARM_CONT, ARM_TABLE_OR_PAGE, ARM_VALID, ENC_AMDV1, ENC_ARM, ENC_VTD, ENC_X86,
                         ENC_XE, SZ_2M, TABLE_BYTES, VTD_READ, VTD_WRITE, X86_PRESENT, X86_PS, X86_RW,
                         XE_PAGE_PRESENT, XE_PAGE_RW, XE_PDE_PS_2M, XE_PPGTT_PTE_DM, XE_PTE_PS64, PtFormat,
                         get_format, leaf_entry)

U64 = np.uint64
EINVAL = 22
ERANGE = 34
TABLE_BITS = 9
ONE_PASS_ENTRIES_PER_RANGE = 16  # above this bound on leaf entries per range, count -> emit sizes the output


@dataclass
class PtLeaves:
    """Materialised leaf entries in VA order."""
    va: np.ndarray     # uint64, VA the entry maps
    pte: np.ndarray    # uint64, the entry's bits
    level: np.ndarray  # int8


@dataclass
class PageTableSummary:
    format: str
    leaf_pages: dict            # page size (bytes) -> pages of that size
    leaf_entries: list          # per level: entries written
    table_pages: list           # per level: table pages (level 0 first; the root is the last)
    status: np.ndarray          # per input range: 0, -EINVAL (misaligned) or -ERANGE (beyond VA width)
    leaves: PtLeaves | None = None

    @property
    def table_bytes(self) -> int:
        return int(sum(self.table_pages)) * TABLE_BYTES

    @property
    def total_leaf_entries(self) -> int:
        return int(sum(self.leaf_entries))

    def as_dict(self) -> dict:
        return {"format": self.format, "leaf_pages": {int(k): int(v) for k, v in sorted(self.leaf_pages.items())},
                "leaf_entries": [int(x) for x in self.leaf_entries],
                "table_pages": [int(x) for x in self.table_pages], "table_bytes": self.table_bytes}

    def same_as(self, other: "PageTableSummary") -> bool:
        return self.as_dict() == other.as_dict() and np.array_equal(self.status, other.status)


# ----------------------------------------------------------- input handling
def _prepare(ranges, fmt: PtFormat, check: bool = True):
    va, oa, size = (np.ascontiguousarray(backends.to_host(a), dtype=U64) for a in ranges)
    if not (va.shape == oa.shape == size.shape) or va.ndim != 1:
        raise ValueError("ranges must be three 1-D arrays (va, oa, size) of the same length")
    if not check:  # the numba kernel checks order and overlap during its own pass
        return va, oa, size
    return _sort_and_check(va, oa, size)


OVERLAP_MSG = "ranges overlap in VA; a page table maps each VA once"


def _sort_and_check(va, oa, size):
    if va.size > 1 and np.any(va[1:] < va[:-1]):
        order = np.argsort(va, kind="stable")
        va, oa, size = va[order], oa[order], size[order]
    if va.size > 1:
        end = va[:-1] + size[:-1]
        if np.any((end > va[1:]) & (size[:-1] != 0)) or np.any(end < va[:-1]):
            raise ValueError(OVERLAP_MSG)
    return va, oa, size


def _status_np(va, oa, size, fmt: PtFormat):
    minmask = U64((1 << __ffs(fmt.pgsize_bitmap)) - 1)
    st = np.zeros(va.shape, dtype=np.int32)
    st[((va | oa | size) & minmask) != 0] = -EINVAL
    if fmt.va_bits < 64:
        lim = U64(1 << fmt.va_bits)
        over = (va >= lim) | (size > lim - np.minimum(va, lim))
        st[(st == 0) & over] = -ERANGE
    return st


def _xe_compact_pages(a, b, rs, re):
    """64K pages of [a, b) inside 2M spans that lie wholly in [rs, re)."""
    m = SZ_2M - 1
    f_lo = (rs + m) & ~m
    f_hi = re & ~m
    lo = max(a, f_lo)
    hi = min(b, f_hi)
    return (hi - lo) >> 16 if hi > lo else 0


# ------------------------------------------------------ plain-Python reference
def build_page_table_python(ranges, fmt, materialize: bool = False) -> PageTableSummary:
    """Page by page with ``pt_best_pgsize``, tables as sets: slow, obvious, the oracle."""
    fmt = get_format(fmt)
    va, oa, size = _prepare(ranges, fmt)
    status = _status_np(va, oa, size, fmt)
    L = fmt.levels
    pages, slots = {}, [0] * L
    tables = [set() for _ in range(L)]
    leaves = []
    for i in range(va.size):
        if status[i]:
            continue
        v, o, s = int(va[i]), int(oa[i]), int(size[i])
        rs, re = v, v + s
        while v < re:
            lg2 = pt_best_pgsize(fmt.pgsize_bitmap, v, re - 1, o)
            if lg2 == 0:  # one byte left cannot happen for aligned input; pt_best warns for va == last_va
                lg2 = __ffs(fmt.pgsize_bitmap)
            pg = 1 << lg2
            lvl = fmt.level_of(lg2)
            shift = fmt.level_shifts[lvl]
            compact = fmt.encoding == ENC_XE and lg2 == 16 and _xe_compact_pages(v, v + pg, rs, re) == 1
            n_ent = 1 if compact else pg >> shift
            pages[pg] = pages.get(pg, 0) + 1
            slots[lvl] += n_ent
            for l in range(lvl, L):
                sh = fmt.level_shifts[l] + TABLE_BITS
                tables[l].add(v >> sh if sh < 64 else 0)
            if materialize:
                step = 1 << (16 if compact else shift)
                for k in range(n_ent):
                    leaves.append((v + k * step, leaf_entry(fmt, o, lg2, compact, k), lvl))
            v += pg
            o += pg
    lv = None
    if materialize:
        leaves.sort()
        lv = PtLeaves(np.array([x[0] for x in leaves], dtype=U64), np.array([x[1] for x in leaves], dtype=U64),
                      np.array([x[2] for x in leaves], dtype=np.int8))
    return PageTableSummary(fmt.name, pages, slots, [len(t) for t in tables], status, lv)


# ------------------------------------------------------------ numpy reference
def _reference(va, oa, size, fmt: PtFormat, status, materialize: bool) -> PageTableSummary:
    from .iommu_map_split import _reference as split_reference
    L = fmt.levels
    ok = status == 0
    idx = np.nonzero(ok)[0]
    sp = split_reference(va[idx], oa[idx], size[idx], fmt.pgsize_bitmap)
    lg2 = (np.frexp(sp.pgsize.astype(np.float64))[1] - 1).astype(np.int64)
    lvl_of = np.array([fmt.level_of(k) if (fmt.pgsize_bitmap >> k) & 1 else 0 for k in range(64)], dtype=np.int64)
    shifts = np.array(fmt.level_shifts, dtype=np.int64)
    lvl = lvl_of[lg2]
    rep = U64(1) << (lg2 - shifts[lvl]).astype(U64)
    run_lo = sp.iova
    run_hi = sp.iova + sp.pgsize * sp.count  # exclusive
    ent = sp.count * rep
    if fmt.encoding == ENC_XE:
        rs = va[idx][sp.range_index]
        re = rs + size[idx][sp.range_index]
        m = U64(SZ_2M - 1)
        f_lo = (rs + m) & ~m
        f_hi = re & ~m
        lo = np.maximum(run_lo, f_lo)
        hi = np.minimum(run_hi, f_hi)
        compact = np.where((lg2 == 16) & (hi > lo), (hi - lo) >> U64(16), U64(0))
        ent = np.where(lg2 == 16, compact + U64(16) * (sp.count - compact), ent)
    pages = {}
    for k in np.unique(lg2):
        pages[1 << int(k)] = int(sp.count[lg2 == k].sum(dtype=U64))
    slots = [int(ent[lvl == l].sum(dtype=U64)) for l in range(L)]
    tables = []
    for l in range(L):
        sel = lvl <= l
        sh = int(shifts[l]) + TABLE_BITS
        if not sel.any():
            tables.append(0)
            continue
        if sh >= 64:
            tables.append(1)
            continue
        lo = (run_lo[sel] >> U64(sh)).astype(np.int64)
        hi = ((run_hi[sel] - U64(1)) >> U64(sh)).astype(np.int64)
        shared = np.count_nonzero(lo[1:] == hi[:-1])
        tables.append(int((hi - lo + 1).sum()) - shared)
    leaves = None
    if materialize:
        leaves = _materialize_np(fmt, sp, lg2, lvl, shifts, va[idx], size[idx])
    return PageTableSummary(fmt.name, pages, slots, tables, status, leaves)


def _materialize_np(fmt, sp, lg2, lvl, shifts, rva, rsize) -> PtLeaves:
    """Expand runs into entries with numpy: run -> pages -> slots."""
    # pages
    pg_run = np.repeat(np.arange(len(sp)), sp.count.astype(np.int64))
    first = np.repeat(np.cumsum(sp.count.astype(np.int64)) - sp.count.astype(np.int64), sp.count.astype(np.int64))
    k = (np.arange(pg_run.size) - first).astype(U64)
    p_lg2 = lg2[pg_run]
    p_va = sp.iova[pg_run] + (k << p_lg2.astype(U64))
    p_oa = sp.paddr[pg_run] + (k << p_lg2.astype(U64))
    p_lvl = lvl[pg_run]
    p_shift = shifts[p_lvl]
    nent = (U64(1) << (p_lg2 - p_shift).astype(U64)).astype(np.int64)
    compact = np.zeros(p_va.size, dtype=bool)
    if fmt.encoding == ENC_XE:
        rs = rva[sp.range_index[pg_run]]
        re = rs + rsize[sp.range_index[pg_run]]
        span = p_va & ~U64(SZ_2M - 1)
        compact = (p_lg2 == 16) & (span >= rs) & (span + U64(SZ_2M) <= re)
        nent = np.where(compact, 1, nent)
    e_pg = np.repeat(np.arange(p_va.size), nent)
    e_first = np.repeat(np.cumsum(nent) - nent, nent)
    slot = (np.arange(e_pg.size) - e_first).astype(U64)
    e_shift = np.where(compact[e_pg], 16, p_shift[e_pg]).astype(U64)
    e_va = p_va[e_pg] + (slot << e_shift)
    pte = _pte_np(fmt, p_oa[e_pg], p_lg2[e_pg], p_lvl[e_pg], p_shift[e_pg], compact[e_pg], slot)
    return PtLeaves(e_va, pte, p_lvl[e_pg].astype(np.int8))


def _pte_np(fmt, oa, lg2, lvl, shift, compact, slot):
    amask = U64(ADDR_MASK_52)
    rep_gt1 = (lg2 - shift) > 0
    enc = fmt.encoding
    if enc in (ENC_X86, ENC_VTD):
        base = U64((X86_PRESENT | X86_RW) if enc == ENC_X86 else (VTD_READ | VTD_WRITE))
        return (oa & amask) | base | np.where(lvl > 0, U64(X86_PS), U64(0))
    if enc == ENC_AMDV1:
        size = U64(1) << lg2.astype(U64)
        flags = U64(AMD_PR | AMD_IR | AMD_IW)
        rep_addr = ((oa | (size - U64(1))) & ~(size >> U64(1))) & amask
        return np.where(rep_gt1, rep_addr | flags | U64(AMD_NEXT_LEVEL_DEFAULT << AMD_NEXT_LEVEL_SHIFT),
                        (oa & amask) | flags)
    if enc == ENC_ARM:
        e = ((oa + (slot << shift.astype(U64))) & U64(((1 << 48) - 1) & ~0xFFF)) | U64(ARM_VALID | ARM_AF)
        e |= np.where(lvl == 0, U64(ARM_TABLE_OR_PAGE), U64(0))
        return e | np.where(rep_gt1, U64(ARM_CONT), U64(0))
    base = U64(XE_PAGE_PRESENT | XE_PAGE_RW | (XE_PPGTT_PTE_DM if fmt.device_memory else 0))
    e_shift = np.where(compact, 16, shift).astype(U64)
    e = base | ((oa + (slot << e_shift)) & amask)
    e |= np.where(lvl > 0, U64(XE_PDE_PS_2M), U64(0))
    return e | np.where(rep_gt1 & ~compact, U64(XE_PTE_PS64), U64(0))


# ------------------------------------------------------------ numba (CPU)
# numba kernels live at module level so cache=True can reuse them between runs


@numba.njit(inline="always", cache=True)
def xe_compact(a, b, rs, re):
    m = U64(SZ_2M - 1)
    f_lo = (rs + m) & ~m
    f_hi = re & ~m
    lo = a if a > f_lo else f_lo
    hi = b if b < f_hi else f_hi
    if hi > lo:
        return (hi - lo) >> U64(16)
    return U64(0)

@numba.njit(inline="always", cache=True)
def range_status(v, o, s, minmask, va_lim):
    if ((v | o | s) & minmask) != U64(0):
        return -EINVAL
    if va_lim != U64(0) and (v >= va_lim or s > va_lim - v):
        return -ERANGE
    return 0

@numba.njit(inline="always", cache=True)
def add_interval(a, b, sh, l, cnt, first, last):
    # VA [a, b) -> table blocks [a >> sh, (b - 1) >> sh], merged with the last block seen
    if sh >= 64:
        lo = np.int64(0)
        hi = np.int64(0)
    else:
        lo = np.int64(a >> U64(sh))
        hi = np.int64((b - U64(1)) >> U64(sh))
    n = hi - lo + 1
    if last[l] == lo:
        n -= 1
    cnt[l] += n
    if first[l] < 0:
        first[l] = lo
    last[l] = hi


@numba.njit(parallel=True, cache=True)
def summary(va, oa, size, bitmap, minmask, va_lim, shifts, lvl_of, is_xe, bounds,
            hist, slots, tcount, tfirst, tlast, status, flags):
    # per chunk: leaf pages per size, entries per level, table blocks (count, first, last);
    # flags[c]: 1 = input not sorted by VA, 2 = two ranges overlap
    L = shifts.shape[0]
    for c in numba.prange(bounds.shape[0] - 1):
        fb = np.empty(L, dtype=np.uint64)   # VA of the first leaf above level l
        lbe = np.empty(L, dtype=np.uint64)  # end of the last leaf above level l
        # chunk-local accumulators, written back once at the end
        h = np.zeros(64, dtype=np.int64)
        sl = np.zeros(L, dtype=np.int64)
        tc = np.zeros(L, dtype=np.int64)
        tf = np.full(L, -1, dtype=np.int64)
        tl = np.full(L, -1, dtype=np.int64)
        tsh = np.empty(L, dtype=np.int64)
        for l in range(L):
            tsh[l] = shifts[l] + 9
        fl = 0
        for i in range(U64(bounds[c]), U64(bounds[c + 1])):
            v = va[i]
            o = oa[i]
            s = size[i]
            if i > U64(0):
                pv = va[i - U64(1)]
                ps = size[i - U64(1)]
                if v < pv:
                    fl |= 1
                elif ps != U64(0) and (pv + ps > v or pv + ps < pv):
                    fl |= 2
            st = range_status(v, o, s, minmask, va_lim)
            status[i] = st
            if st != 0 or s == U64(0):
                continue
            rs = v
            re = v + s
            top = 0  # highest leaf level seen in this range
            while s != U64(0):
                idx, cnt = step(bitmap, v, o, s)
                lv = lvl_of[idx]
                mapped = cnt << U64(idx)
                h[idx] += np.int64(cnt)
                if is_xe and idx == 16:
                    comp = xe_compact(v, v + mapped, rs, re)
                    e = np.int64(comp + U64(16) * (cnt - comp))
                else:
                    e = np.int64(cnt << U64(idx - shifts[lv]))
                sl[lv] += e
                if lv > top:
                    for l in range(top, lv):  # levels below lv see their first big leaf here
                        fb[l] = v
                    top = lv
                for l in range(lv):
                    lbe[l] = v + mapped
                s -= mapped
                v += mapped
                o += mapped
            for l in range(L):
                if l >= top:  # every leaf at or below l: one interval
                    add_interval(rs, re, tsh[l], l, tc, tf, tl)
                else:
                    if fb[l] > rs:
                        add_interval(rs, fb[l], tsh[l], l, tc, tf, tl)
                    if lbe[l] < re:
                        add_interval(lbe[l], re, tsh[l], l, tc, tf, tl)
        for b in range(64):
            hist[c, b] = h[b]
        for l in range(L):
            slots[c, l] = sl[l]
            tcount[c, l] = tc[l]
            tfirst[c, l] = tf[l]
            tlast[c, l] = tl[l]
        flags[c] = fl


@numba.njit(inline="always", cache=True)
def add_interval_rev(a, b, sh, l, cnt, first, last):
    # add_interval for intervals arriving in decreasing VA order: merged with the lowest block seen
    if sh >= 64:
        lo = np.int64(0)
        hi = np.int64(0)
    else:
        lo = np.int64(a >> U64(sh))
        hi = np.int64((b - U64(1)) >> U64(sh))
    n = hi - lo + 1
    if first[l] == hi:
        n -= 1
    cnt[l] += n
    if last[l] < 0:
        last[l] = hi
    first[l] = lo


@numba.njit(inline="always", cache=True)
def walk_range(v, o, s, bitmap, shifts, lvl_of, is_xe, h, sl, fb, lbe):
    """The map loop over one valid range, counting only: leaf pages per size
    into ``h``, entries per level into ``sl``; ``fb[l]``/``lbe[l]`` = VA of the
    first leaf above level l / end of the last one.  Returns (highest leaf
    level, entries)."""
    rs = v
    re = v + s
    top = 0
    ent = np.int64(0)
    while s != U64(0):
        idx, cnt = step(bitmap, v, o, s)
        lv = lvl_of[idx]
        mapped = cnt << U64(idx)
        h[idx] += np.int64(cnt)
        if is_xe and idx == 16:
            comp = xe_compact(v, v + mapped, rs, re)
            e = np.int64(comp + U64(16) * (cnt - comp))
        else:
            e = np.int64(cnt << U64(idx - shifts[lv]))
        sl[lv] += e
        ent += e
        if lv > top:
            for l in range(top, lv):  # levels below lv see their first big leaf here
                fb[l] = v
            top = lv
        for l in range(lv):
            lbe[l] = v + mapped
        s -= mapped
        v += mapped
        o += mapped
    return top, ent


@numba.njit(parallel=True, cache=True)
def build_one_pass(va, oa, size, bitmap, minmask, va_lim, shifts, lvl_of, is_xe, enc, dm, materialize,
                   half, mid, hist, slots, tcount, tfirst, tlast, status, flags, o_va, o_pte, o_lvl, ends):
    """Summary and (with ``materialize``) leaf entries in one read of the input, on two threads.

    Thread 0 walks ranges ``[0, half)`` backwards, writing each range's leaves
    just below the previous ones so that they end at ``mid``; thread 1 walks
    ``[half, n)`` forwards from ``mid``: the leaves are ``o_*[ends[0]:ends[1]]``
    in VA order.  The caller sizes ``mid`` and the arrays from an upper bound
    (entries <= size >> level-0 shift); ``ends[t] = -1`` if it was wrong.
    Row t of the per-thread outputs is thread t's part, rows in VA order, as
    :func:`summary` gives them per chunk."""
    n = va.shape[0]
    L = shifts.shape[0]
    cap = U64(o_va.shape[0])
    for t in numba.prange(2):
        fb = np.empty(L, dtype=np.uint64)
        lbe = np.empty(L, dtype=np.uint64)
        h = np.zeros(64, dtype=np.int64)
        sl = np.zeros(L, dtype=np.int64)
        tc = np.zeros(L, dtype=np.int64)
        tf = np.full(L, -1, dtype=np.int64)
        tl = np.full(L, -1, dtype=np.int64)
        tsh = np.empty(L, dtype=np.int64)
        for l in range(L):
            tsh[l] = shifts[l] + 9
        fl = 0
        low_only = False  # the last range counted mapped only level-0 leaves: its tables nest
        j = U64(mid)
        lo_i = U64(0) if t == 0 else U64(half)
        hi_i = U64(half) if t == 0 else U64(n)
        for r in range(hi_i - lo_i):
            i = hi_i - U64(1) - r if t == 0 else lo_i + r
            v = va[i]
            o = oa[i]
            s = size[i]
            if i > U64(0):
                pv = va[i - U64(1)]
                ps = size[i - U64(1)]
                if v < pv:
                    fl |= 1
                elif ps != U64(0) and (pv + ps > v or pv + ps < pv):
                    fl |= 2
            st = range_status(v, o, s, minmask, va_lim)
            status[i] = st
            if st != 0 or s == U64(0):
                continue
            rs = v
            re = v + s
            top, m = walk_range(v, o, s, bitmap, shifts, lvl_of, is_xe, h, sl, fb, lbe)
            # tables: when this range and the last one both hold only level-0 leaves and
            # share their level-0 table, they share every table above it too: nothing new
            same = False
            if top == 0 and low_only and tsh[0] < 64:
                b0 = np.int64(rs >> U64(tsh[0]))
                same = b0 == np.int64((re - U64(1)) >> U64(tsh[0])) and b0 == (tl[0] if t == 1 else tf[0])
            low_only = top == 0
            if not same:
                for l in range(L):
                    if t == 1:
                        if l >= top:  # every leaf at or below l: one interval
                            add_interval(rs, re, tsh[l], l, tc, tf, tl)
                        else:
                            if fb[l] > rs:
                                add_interval(rs, fb[l], tsh[l], l, tc, tf, tl)
                            if lbe[l] < re:
                                add_interval(lbe[l], re, tsh[l], l, tc, tf, tl)
                    else:  # the same intervals, highest first
                        if l >= top:
                            add_interval_rev(rs, re, tsh[l], l, tc, tf, tl)
                        else:
                            if lbe[l] < re:
                                add_interval_rev(lbe[l], re, tsh[l], l, tc, tf, tl)
                            if fb[l] > rs:
                                add_interval_rev(rs, fb[l], tsh[l], l, tc, tf, tl)
            if materialize:
                if t == 0:
                    if U64(m) > j:
                        fl |= 4
                        continue
                    j -= U64(m)
                    write_leaves(v, o, s, j, bitmap, shifts, lvl_of, enc, dm, o_va, o_pte, o_lvl)
                else:
                    if U64(m) > cap - j:
                        fl |= 4
                        continue
                    j = write_leaves(v, o, s, j, bitmap, shifts, lvl_of, enc, dm, o_va, o_pte, o_lvl)
        for b in range(64):
            hist[t, b] = h[b]
        for l in range(L):
            slots[t, l] = sl[l]
            tcount[t, l] = tc[l]
            tfirst[t, l] = tf[l]
            tlast[t, l] = tl[l]
        flags[t] = fl
        ends[t] = np.int64(j)


@numba.njit(inline="always", cache=True)
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


@numba.njit(inline="always", cache=True)
def write_leaves(v, o, s, j, bitmap, shifts, lvl_of, enc, dm, o_va, o_pte, o_lvl):
    """Write the leaf entries of one valid range at ``o_*[j:]``; returns the next free index."""
    amd_flags = U64(AMD_PR | AMD_IR | AMD_IW)
    amd_rep = U64(AMD_NEXT_LEVEL_DEFAULT << AMD_NEXT_LEVEL_SHIFT)
    rs = v
    re = v + s
    while s != U64(0):
        idx, cnt = step(bitmap, v, o, s)
        lv = np.int8(lvl_of[idx])
        sh = shifts[lv]
        pg = U64(1) << U64(idx)
        nent = np.int64(1) << (idx - sh)
        e_sh = U64(sh)
        flags, amask = entry_template(enc, dm, lv, nent > 1, False)
        xe64 = enc == ENC_XE and idx == 16
        if nent == 1 and enc != ENC_AMDV1 and not xe64:
            # one entry per page, address advancing with it: the common case
            for _ in range(np.int64(cnt)):
                o_va[j] = v
                o_pte[j] = flags | (o & amask)
                o_lvl[j] = lv
                j += U64(1)
                v += pg
                o += pg
            s -= cnt << U64(idx)
            continue
        for _ in range(np.int64(cnt)):
            if xe64:
                span = v & ~U64(SZ_2M - 1)
                if span >= rs and span + U64(SZ_2M) <= re:  # compact table: one 64K entry
                    f2, m2 = entry_template(enc, dm, lv, False, True)
                    o_va[j] = v
                    o_pte[j] = f2 | (o & m2)
                    o_lvl[j] = lv
                    j += U64(1)
                    v += pg
                    o += pg
                    s -= pg
                    continue
            if enc == ENC_AMDV1:
                if nent > 1:  # the same entry replicated, page size in the address bits
                    e = (((o | (pg - U64(1))) & ~(pg >> U64(1))) & U64(ADDR_MASK_52)) | amd_flags | amd_rep
                else:
                    e = (o & U64(ADDR_MASK_52)) | amd_flags
                for k in range(nent):
                    o_va[j] = v + (U64(k) << e_sh)
                    o_pte[j] = e
                    o_lvl[j] = lv
                    j += U64(1)
            else:
                for k in range(nent):
                    off = U64(k) << e_sh
                    o_va[j] = v + off
                    o_pte[j] = flags | ((o + off) & amask)
                    o_lvl[j] = lv
                    j += U64(1)
            v += pg
            o += pg
            s -= pg
    return j


@numba.njit(parallel=True, cache=True)
def emit(va, oa, size, bitmap, shifts, lvl_of, enc, dm, bounds, offsets, status, o_va, o_pte, o_lvl):
    for c in numba.prange(bounds.shape[0] - 1):
        j = U64(offsets[c])
        for i in range(U64(bounds[c]), U64(bounds[c + 1])):
            if status[i] == 0:
                j = write_leaves(va[i], oa[i], size[i], j, bitmap, shifts, lvl_of, enc, dm, o_va, o_pte, o_lvl)


def _numba_kernels():
    return {"summary": summary, "emit": emit}


def _fmt_arrays(fmt: PtFormat):
    shifts = np.array(fmt.level_shifts, dtype=np.int64)
    lvl_of = np.array([fmt.level_of(k) for k in range(64)], dtype=np.int64)
    minmask = U64((1 << __ffs(fmt.pgsize_bitmap)) - 1)
    va_lim = U64(1 << fmt.va_bits) if fmt.va_bits < 64 else U64(0)
    return shifts, lvl_of, minmask, va_lim


def _combine_tables(tcount, tfirst, tlast):
    """Fold per-chunk (count, first block, last block) in VA order."""
    nchunks, L = tcount.shape
    out = []
    for l in range(L):
        total, last = 0, -1
        for c in range(nchunks):
            if tfirst[c, l] < 0:
                continue
            total += int(tcount[c, l]) - (1 if tfirst[c, l] == last else 0)
            last = int(tlast[c, l])
        out.append(total)
    return out


@numba.njit(parallel=True, cache=True)
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


def _one_pass(va, oa, size, fmt: PtFormat, materialize: bool, workspace):
    """:func:`build_one_pass` and the summary from its two rows; None when its
    bound on the output is too loose to be worth the memory (or was wrong)."""
    n = va.shape[0]
    L = fmt.levels
    shifts, lvl_of, minmask, va_lim = _fmt_arrays(fmt)
    half = n // 2
    mid = cap = 0
    if materialize:
        bound = np.zeros(2, dtype=U64)
        entries_bound(size, np.int64(half), np.int64(shifts[0]), bound)
        mid, cap = int(bound[0]), int(bound[0]) + int(bound[1])
        if cap > ONE_PASS_ENTRIES_PER_RANGE * n + 4096:
            return None
    hist = np.zeros((2, 64), dtype=np.int64)
    slots = np.zeros((2, L), dtype=np.int64)
    tcount = np.zeros((2, L), dtype=np.int64)
    tfirst = np.full((2, L), -1, dtype=np.int64)
    tlast = np.full((2, L), -1, dtype=np.int64)
    flags = np.zeros(2, dtype=np.int64)
    ends = np.zeros(2, dtype=np.int64)
    status = backends.empty(workspace, "status", n, np.int32)
    o_va = backends.empty(workspace, "va", cap, U64)
    o_pte = backends.empty(workspace, "pte", cap, U64)
    o_lvl = backends.empty(workspace, "level", cap, np.int8)
    build_one_pass(va, oa, size, U64(fmt.pgsize_bitmap), minmask, va_lim, shifts, lvl_of, fmt.encoding == ENC_XE,
                   np.int64(fmt.encoding), fmt.device_memory, materialize, np.int64(half), np.int64(mid),
                   hist, slots, tcount, tfirst, tlast, status, flags, o_va, o_pte, o_lvl, ends)
    if np.any(flags & 1):  # not sorted by VA: sort (and check overlap) with numpy, then run again
        va, oa, size = _sort_and_check(va, oa, size)
        return _one_pass(va, oa, size, fmt, materialize, workspace)
    if np.any(flags & 2):
        raise ValueError(OVERLAP_MSG)
    if np.any(flags & 4):
        return None
    h = hist.sum(axis=0)
    leaves = None
    if materialize:
        e0, e1 = int(ends[0]), int(ends[1])
        leaves = PtLeaves(o_va[e0:e1], o_pte[e0:e1], o_lvl[e0:e1])
    return PageTableSummary(fmt.name, {1 << b: int(h[b]) for b in range(64) if h[b]},
                            [int(x) for x in slots.sum(axis=0)], _combine_tables(tcount, tfirst, tlast),
                            status, leaves)


def _numba(va, oa, size, fmt: PtFormat, status_unused, materialize: bool, workspace=None,
           one_pass: bool | None = None) -> PageTableSummary:
    from .iommu_map_split import chunk_bounds
    if one_pass is None:  # the one-pass kernel runs on two threads: use it where that is all there is
        one_pass = numba.get_num_threads() <= 2
    if one_pass:
        r = _one_pass(va, oa, size, fmt, materialize, workspace)
        if r is not None:
            return r
    k = _numba_kernels()
    n = va.shape[0]
    L = fmt.levels
    shifts, lvl_of, minmask, va_lim = _fmt_arrays(fmt)
    bounds = chunk_bounds(n)
    nc = bounds.shape[0] - 1
    hist = np.zeros((nc, 64), dtype=np.int64)
    slots = np.zeros((nc, L), dtype=np.int64)
    tcount = np.zeros((nc, L), dtype=np.int64)
    tfirst = np.full((nc, L), -1, dtype=np.int64)
    tlast = np.full((nc, L), -1, dtype=np.int64)
    flags = np.zeros(nc, dtype=np.int64)
    status = backends.empty(workspace, "status", n, np.int32)
    k["summary"](va, oa, size, U64(fmt.pgsize_bitmap), minmask, va_lim, shifts, lvl_of, fmt.encoding == ENC_XE,
                 bounds, hist, slots, tcount, tfirst, tlast, status, flags)
    if np.any(flags & 1):  # not sorted by VA: sort (and check overlap) with numpy, then run again
        va, oa, size = _sort_and_check(va, oa, size)
        return _numba(va, oa, size, fmt, None, materialize, workspace, one_pass=False)
    if np.any(flags & 2):
        raise ValueError(OVERLAP_MSG)
    h = hist.sum(axis=0)
    pages = {1 << b: int(h[b]) for b in range(64) if h[b]}
    leaves = None
    if materialize:
        offsets = np.zeros(nc + 1, dtype=np.int64)
        np.cumsum(slots.sum(axis=1), out=offsets[1:])
        total = int(offsets[-1])
        o_va = backends.empty(workspace, "va", total, U64)
        o_pte = backends.empty(workspace, "pte", total, U64)
        o_lvl = backends.empty(workspace, "level", total, np.int8)
        k["emit"](va, oa, size, U64(fmt.pgsize_bitmap), shifts, lvl_of, np.int64(fmt.encoding),
                  fmt.device_memory, bounds, offsets, status, o_va, o_pte, o_lvl)
        leaves = PtLeaves(o_va, o_pte, o_lvl)
    return PageTableSummary(fmt.name, pages, [int(x) for x in slots.sum(axis=0)],
                            _combine_tables(tcount, tfirst, tlast), status, leaves)


# ------------------------------------------------------------ numba.cuda
_CUDA = {}
cuda = None  # numba.cuda, bound on first use


def _cuda_kernels():
    # ``cuda`` must be a module global: the simulator swaps it per kernel
    global cuda
    if _CUDA:
        return _CUDA
    from numba import cuda
    step = cuda_iommu_pgsize_step()

    @cuda.jit
    def summary_kernel(va, oa, size, bitmap, minmask, va_lim, shifts, lvl_of, is_xe,
                       hist, slots, ivl, status, nslots):
        # ivl[i, l, 0..3] = lo1, hi1, lo2, hi2 table blocks (-1: none)
        i = cuda.grid(1)
        if i >= va.shape[0]:
            return
        L = shifts.shape[0]
        v = va[i]
        o = oa[i]
        s = size[i]
        for l in range(L):
            for q in range(4):
                ivl[i, l, q] = -1
        nslots[i] = 0
        st = 0
        if ((v | o | s) & minmask) != U64(0):
            st = -EINVAL
        elif va_lim != U64(0) and (v >= va_lim or s > va_lim - v):
            st = -ERANGE
        status[i] = st
        if st != 0 or s == U64(0):
            return
        rs = v
        re = v + s
        # first leaf above level l, end of the last one: kept per level in ivl scratch
        fb = cuda.local.array(8, dtype=np.uint64)
        lbe = cuda.local.array(8, dtype=np.uint64)
        for l in range(L):
            fb[l] = re
            lbe[l] = rs
        ns = 0
        while s != U64(0):
            idx, cnt = step(bitmap, v, o, s)
            lv = lvl_of[idx]
            mapped = cnt << U64(idx)
            cuda.atomic.add(hist, idx, np.int64(cnt))
            if is_xe and idx == 16:
                m = U64(SZ_2M - 1)
                f_lo = (rs + m) & ~m
                f_hi = re & ~m
                lo = v if v > f_lo else f_lo
                hi = v + mapped if v + mapped < f_hi else f_hi
                comp = U64(0)
                if hi > lo:
                    comp = (hi - lo) >> U64(16)
                e = np.int64(comp + U64(16) * (cnt - comp))
            else:
                e = np.int64(cnt << U64(idx - shifts[lv]))
            cuda.atomic.add(slots, lv, e)
            ns += e
            for l in range(lv):
                if fb[l] == re:
                    fb[l] = v
                lbe[l] = v + mapped
            s -= mapped
            v += mapped
            o += mapped
        nslots[i] = ns
        for l in range(L):
            sh = shifts[l] + 9
            if fb[l] == re:
                a0, b0, a1, b1 = rs, re, re, re
            else:
                a0, b0, a1, b1 = rs, fb[l], lbe[l], re
            if b0 > a0:
                ivl[i, l, 0] = 0 if sh >= 64 else np.int64(a0 >> U64(sh))
                ivl[i, l, 1] = 0 if sh >= 64 else np.int64((b0 - U64(1)) >> U64(sh))
            if b1 > a1:
                ivl[i, l, 2] = 0 if sh >= 64 else np.int64(a1 >> U64(sh))
                ivl[i, l, 3] = 0 if sh >= 64 else np.int64((b1 - U64(1)) >> U64(sh))

    _CUDA.update(summary=summary_kernel)
    return _CUDA


def _cuda(va, oa, size, fmt: PtFormat, status_unused, materialize: bool) -> PageTableSummary:
    from .iommu_map_split import DeviceArrays
    k = _cuda_kernels()
    dev = DeviceArrays(False)
    n = va.shape[0]
    L = fmt.levels
    shifts, lvl_of, minmask, va_lim = _fmt_arrays(fmt)
    d_va, d_oa, d_size = dev.put(va), dev.put(oa), dev.put(size)
    hist = dev.zeros(64, np.int64)
    slots = dev.zeros(L, np.int64)
    ivl = dev.zeros((n, L, 4), np.int64)
    status = dev.zeros(n, np.int32)
    nslots = dev.zeros(n, np.int64)
    if n:
        blocks, threads = backends.cuda_launch_shape(n)
        k["summary"][blocks, threads](d_va, d_oa, d_size, U64(fmt.pgsize_bitmap), minmask, va_lim,
                                      dev.put(shifts), dev.put(lvl_of), fmt.encoding == ENC_XE,
                                      hist, slots, ivl, status, nslots)
    h = backends.to_host(hist)
    iv = backends.to_host(ivl)
    tables = []
    for l in range(L):
        pairs = iv[:, l, :].reshape(-1, 2)
        pairs = pairs[pairs[:, 0] >= 0]
        if pairs.size == 0:
            tables.append(0)
            continue
        lo, hi = pairs[:, 0], pairs[:, 1]
        tables.append(int((hi - lo + 1).sum()) - int(np.count_nonzero(lo[1:] == hi[:-1])))
    st = backends.to_host(status)
    leaves = None
    if materialize:
        # no GPU emit kernel yet: the entries come from the numpy path (said in the docstring)
        leaves = _reference(va, oa, size, fmt, st, True).leaves
    return PageTableSummary(fmt.name, {1 << b: int(h[b]) for b in range(64) if h[b]},
                            [int(x) for x in backends.to_host(slots)], tables, st, leaves)


_IMPLS = {"reference": _reference, "numba": _numba, "cuda": _cuda}


def build_page_table(ranges, fmt, backend: str = "auto", materialize: bool = False,
                     workspace=None) -> PageTableSummary:
    """Summarise (and optionally write out) the page table mapping ``ranges``.

    ``ranges``: ``(va, oa, size)`` uint64 arrays; ``fmt``: a name from
    :data:`dmabuf_lab.kernels.pt_formats.FORMATS` or a :class:`PtFormat`.
    Misaligned ranges get ``-EINVAL`` and ranges beyond the format's VA width
    ``-ERANGE`` in ``status``; they map nothing.  On the ``cuda`` backend the
    summary is computed on the device; ``materialize=True`` entries are still
    written by the numpy path there.  ``workspace``: a
    :class:`backends.Workspace` the numba backend writes its outputs into.
    """
    fmt = get_format(fmt)
    be = backends.resolve(backend)
    va, oa, size = _prepare(ranges, fmt, check=be != "numba")
    if be == "numba":
        return _numba(va, oa, size, fmt, None, materialize, workspace)
    status = _status_np(va, oa, size, fmt) if be == "reference" else None
    return _IMPLS[be](va, oa, size, fmt, status, materialize)
