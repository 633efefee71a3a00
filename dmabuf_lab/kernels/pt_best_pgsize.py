"""``pt_compute_best_pgsize()`` from drivers/iommu/generic_pt/pt_iter.h.

The generic page-table code picks a leaf size from one mask: the alignment of
``va | oa`` and the largest power of two not above the length.  The best size
is the largest bitmap entry not above the lowest set bit of that mask.
"""
from __future__ import annotations

from .bitops import MASK64, __ffs, fls64

PT_VADDR_MAX_LG2 = 64


def pt_best_pgsize(pgsz_bitmap: int, va: int, last_va: int, oa: int) -> int:
    """log2 of the best leaf size for ``[va, last_va]`` mapped at ``oa``.

    0 means no size in the bitmap works, and also what the C returns (after a
    WARN) when ``va >= last_va``.
    """
    if va >= last_va:
        return 0
    length = (last_va - va + 1) & MASK64
    # 1) va and oa must both start at the page
    mask = (va | oa) & MASK64
    # 2) the page cannot be longer than the range
    if length:  # a wrapped length means the whole 2^64 space: no limit
        mask |= 1 << (fls64(length) - 1)
    best_pgsz_lg2 = __ffs(mask)
    # keep the bitmap bits at or below best_pgsz_lg2
    if best_pgsz_lg2 < PT_VADDR_MAX_LG2 - 1:
        pgsz_bitmap &= (1 << (best_pgsz_lg2 + 1)) - 1
    pgsz_lg2 = fls64(pgsz_bitmap)
    if not pgsz_lg2:
        return 0
    return pgsz_lg2 - 1


from .callable_module import make_callable  # noqa: E402

make_callable(__name__)
