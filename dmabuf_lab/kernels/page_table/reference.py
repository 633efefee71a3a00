"""Page tables built page by page in Python (the oracle) and with numpy."""
from __future__ import annotations

import numpy as np

from ..bitops import __ffs
from ..iommu_map.reference import split as split_reference
from ..pt_best_pgsize import pt_best_pgsize
from ..pt_formats import (ADDR_MASK_52, AMD_IR, AMD_IW, AMD_NEXT_LEVEL_DEFAULT, AMD_NEXT_LEVEL_SHIFT, AMD_PR,
                          ARM_AF, ARM_CONT, ARM_TABLE_OR_PAGE, ARM_VALID, ENC_AMDV1, ENC_ARM, ENC_VTD, ENC_X86,
                          ENC_XE, SZ_2M, VTD_READ, VTD_WRITE, X86_PRESENT, X86_PS, X86_RW, XE_PAGE_PRESENT,
                          XE_PAGE_RW, XE_PDE_PS_2M, XE_PPGTT_PTE_DM, XE_PTE_PS64, get_format, leaf_entry)
from .ranges import prepare, status_np
from .result import PageTableSummary, PtLeaves

U64 = np.uint64
TABLE_BITS = 9


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
    va, oa, size = prepare(ranges, fmt)
    status = status_np(va, oa, size, fmt)
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
def build(va, oa, size, fmt, status, materialize: bool) -> PageTableSummary:
    """The numpy reference: the split in numpy, then counts and entries from its chunks."""
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


