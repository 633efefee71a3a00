"""``iommu_pgsize()`` from drivers/iommu/iommu.c, exact to the C.

Given the domain's ``pgsize_bitmap``, the current ``iova``/``paddr`` and the
bytes left, pick the largest page size that fits the size and both
alignments, then count how many such pages to map before a larger supported
size becomes usable (the next boundary where iova and paddr agree modulo it).
The caller (``__iommu_map``) maps ``pgsize * count`` and loops.
"""
from __future__ import annotations

from .bitops import GENMASK, MASK64, __ffs, __fls


class IommuPgsizeBug(AssertionError):
    """The C hits ``BUG_ON(!pgsizes)``: no supported size fits this step."""


def iommu_pgsize(pgsize_bitmap: int, iova: int, paddr: int, size: int) -> tuple[int, int]:
    """Return ``(pgsize, count)`` for one step of ``__iommu_map``.

    Raises :class:`IommuPgsizeBug` where the kernel would ``BUG_ON``
    (size or alignment below the smallest supported page).
    """
    addr_merge = (paddr | iova) & MASK64
    if size <= 0:
        raise IommuPgsizeBug("size must be positive (__fls(0) is undefined)")

    # page sizes supported by the hardware and small enough for size
    pgsizes = pgsize_bitmap & GENMASK(__fls(size), 0)

    # constrain further by the alignment of iova | paddr
    if addr_merge:
        pgsizes &= GENMASK(__ffs(addr_merge), 0)

    if not pgsizes:
        raise IommuPgsizeBug(
            f"BUG_ON(!pgsizes): iova={iova:#x} paddr={paddr:#x} size={size:#x} bitmap={pgsize_bitmap:#x}")

    pgsize_idx = __fls(pgsizes)
    pgsize = 1 << pgsize_idx

    # the next bigger supported size, if any
    pgsizes = pgsize_bitmap & ~GENMASK(pgsize_idx, 0) & MASK64
    if pgsizes:
        pgsize_next = 1 << __ffs(pgsizes)
        # only worth stopping early when iova and paddr share the offset
        # inside the bigger page
        if not ((iova ^ paddr) & (pgsize_next - 1)):
            offset = pgsize_next - (addr_merge & (pgsize_next - 1))
            if offset + pgsize_next <= size:
                size = offset

    count = size >> pgsize_idx
    return pgsize, count


def iommu_map_steps(pgsize_bitmap: int, iova: int, paddr: int, size: int) -> list[tuple[int, int, int, int]]:
    """The ``__iommu_map`` loop for one range: ``[(iova, paddr, pgsize, count), ...]``.

    Fails like the C with ``-EINVAL`` (returned as an int) when ``iova``,
    ``paddr`` or ``size`` are not aligned to the smallest supported page.
    """
    min_pagesz = 1 << __ffs(pgsize_bitmap)
    if (iova | paddr | size) & (min_pagesz - 1):
        return -22  # -EINVAL
    steps = []
    while size:
        pgsize, count = iommu_pgsize(pgsize_bitmap, iova, paddr, size)
        mapped = pgsize * count
        steps.append((iova, paddr, pgsize, count))
        size -= mapped
        iova += mapped
        paddr += mapped
    return steps


from .callable_module import make_callable  # noqa: E402

make_callable(__name__)
