"""The ``__iommu_map`` loop as a line-by-line Python port (the oracle) and in numpy."""
from __future__ import annotations

import numpy as np

from ..bitops import __ffs, np_ffs, np_fls64
from ..errno import EINVAL
from ..iommu_pgsize import iommu_map_steps
from .result import SplitResult

U64 = np.uint64


def iommu_map_split_python(iova, paddr, size, pgsize_bitmap: int) -> SplitResult:
    """Line-by-line port of the per-range ``__iommu_map`` loop (slow; the oracle)."""
    from . import check_bitmap
    pgsize_bitmap = check_bitmap(pgsize_bitmap)
    rows = []
    status = np.zeros(len(iova), dtype=np.int32)
    for i, (v, p, s) in enumerate(zip(iova, paddr, size)):
        steps = iommu_map_steps(pgsize_bitmap, int(v), int(p), int(s))
        if isinstance(steps, int):
            status[i] = steps
            continue
        rows.extend((i, sv, sp, pg, c) for (sv, sp, pg, c) in steps)
    cols = list(zip(*rows)) if rows else [()] * 5
    return SplitResult(np.array(cols[0], dtype=np.int64), *(np.array(c, dtype=U64) for c in cols[1:]), status)


def split(iova, paddr, size, pgsize_bitmap: int) -> SplitResult:
    """All ranges advance one ``iommu_pgsize`` step per round, in numpy."""
    bitmap = U64(pgsize_bitmap)
    min_pagesz = U64(1 << __ffs(pgsize_bitmap))
    bad = ((iova | paddr | size) & (min_pagesz - U64(1))) != 0
    status = np.where(bad, np.int32(-EINVAL), np.int32(0)).astype(np.int32)
    idx = np.nonzero(~bad & (size != 0))[0]
    v, p, s = iova[idx], paddr[idx], size[idx]
    parts = []
    rnd = 0
    while idx.size:
        merge = v | p
        # bitmap sizes <= the highest bit of size ...
        lim = np_fls64(s) - 1
        # ... and <= the lowest set bit of iova | paddr
        lim = np.where(merge != 0, np.minimum(lim, np_ffs(merge)), lim)
        pgsizes = bitmap & ((U64(2) << lim.astype(U64)) - U64(1))
        pg_idx = np_fls64(pgsizes) - 1
        # the next bigger supported size decides how far to go
        above = bitmap & ~((U64(2) << pg_idx.astype(U64)) - U64(1))
        nxt = np.where(above != 0, U64(1) << np.minimum(np_ffs(above), 63).astype(U64), U64(0))
        nm1 = nxt - U64(1)
        off = nxt - (merge & nm1)
        shrink = (above != 0) & (((v ^ p) & nm1) == 0) & (off + nxt <= s)
        eff = np.where(shrink, off, s)
        cnt = eff >> pg_idx.astype(U64)
        pgs = U64(1) << pg_idx.astype(U64)
        mapped = pgs * cnt
        parts.append((idx, np.full(idx.size, rnd, dtype=np.int64), v.copy(), p.copy(), pgs, cnt))
        v, p, s = v + mapped, p + mapped, s - mapped
        keep = s != 0
        idx, v, p, s = idx[keep], v[keep], p[keep], s[keep]
        rnd += 1
    if not parts:
        return SplitResult.empty(status)
    ri, rd, io, pa, ps, cn = (np.concatenate(c) for c in zip(*parts))
    order = np.lexsort((rd, ri))
    return SplitResult(ri[order], io[order], pa[order], ps[order], cn[order], status)
