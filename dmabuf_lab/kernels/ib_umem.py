"""``ib_umem_find_best_pgsz()`` from drivers/infiniband/core/umem.c.

RDMA hardware often takes one page size per memory region, so the driver
must see the *whole* DMA list before it can size its page table.  Two
variants are modelled:

* ``"fixed"``: after commit 486055f5e09d ("RDMA/core: Fix best page size
  finding when it can cross SG entries"): physically contiguous entries are
  merged into runs and only real discontinuities restrict the page size;
* ``"pre-fix"``: every SG entry boundary restricts it, so a contiguous 16 GiB
  buffer cut into 4 GiB - 4 KiB entries ends up with 4 KiB pages.
"""
from __future__ import annotations

import numpy as np

from .bitops import GENMASK, MASK64, __ffs, bits_per, rounddown_pow_of_two

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1) & MASK64
VARIANTS = ("fixed", "pre-fix")


def ib_umem_find_best_pgsz(dma_addrs, lengths, virt: int, address: int, pgsize_bitmap: int,
                           variant: str = "fixed", length: int | None = None) -> int:
    """Best HW page size for a DMA list mapped at IOVA ``virt`` (0 when none).

    ``dma_addrs``/``lengths`` are the DMA-mapped SG entries in order,
    ``address`` is the user address the umem was pinned from (its page
    offset is the offset into the first entry), ``length`` the umem length
    (default: the entries' total less that offset).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    dma = [int(a) for a in dma_addrs]
    lens = [int(n) for n in lengths]
    pgoff = address & ~PAGE_MASK & MASK64
    if length is None:
        length = sum(lens) - pgoff
    va = virt & MASK64

    if variant == "pre-fix":
        # the VA bits that never change bound the page size from above
        mask = pgsize_bitmap & GENMASK(63, bits_per(((length - 1 + virt) & MASK64) ^ virt))
        n = len(dma)
        for i in range(n):
            mask |= ((dma[i] + pgoff) & MASK64) ^ va
            va = (va + lens[i] - pgoff) & MASK64
            # every entry end but the last must be a page boundary
            if i != n - 1:
                mask |= va
            pgoff = 0
    else:
        last_va = length - 1 + virt
        if last_va > MASK64:  # check_add_overflow
            return 0
        mask = 0
        bits = bits_per(virt ^ last_va)
        if bits < 64:
            mask = pgsize_bitmap & GENMASK(63, bits)
        curr_base = MASK64  # ~0
        curr_len = 0
        for i in range(len(dma)):
            end = curr_base + curr_len
            # a new run starts where the entry is not contiguous with the last
            if end > MASK64 or end != dma[i]:
                curr_base = dma[i]
                curr_len = 0
                mask |= ((curr_base + pgoff) & MASK64) ^ va
                # a discontinuity inside the region must start a page
                if i != 0:
                    mask |= va
            curr_len += lens[i]
            va = (va + lens[i] - pgoff) & MASK64
            pgoff = 0

    mask &= MASK64
    if mask:
        pgsize_bitmap &= GENMASK(__ffs(mask), 0)
    return rounddown_pow_of_two(pgsize_bitmap) if pgsize_bitmap else 0


def ib_umem_find_best_pgsz_numpy(dma_addrs, lengths, virt: int, address: int, pgsize_bitmap: int,
                                 variant: str = "fixed", length: int | None = None) -> int:
    """Vectorised twin of :func:`ib_umem_find_best_pgsz` (whole-list numpy passes).

    Exact for lists whose addresses do not wrap past 2**64 (the reference
    loop covers the wrap-around corners).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    dma = np.asarray(dma_addrs, dtype=np.uint64)
    lens = np.asarray(lengths, dtype=np.uint64)
    n = dma.size
    pgoff = address & ~PAGE_MASK & MASK64
    if length is None:
        length = int(lens.sum(dtype=np.uint64)) - pgoff
    if n == 0:
        return ib_umem_find_best_pgsz([], [], virt, address, pgsize_bitmap, variant, length)
    # va at the start of each entry: virt, then virt + cumulative lengths - pgoff
    va_end = (np.uint64(virt) + np.cumsum(lens, dtype=np.uint64) - np.uint64(pgoff))
    va_start = np.empty_like(va_end)
    va_start[0] = np.uint64(virt)
    va_start[1:] = va_end[:-1]
    first = dma.copy()
    first[0] = dma[0] + np.uint64(pgoff)
    if variant == "pre-fix":
        mask = pgsize_bitmap & GENMASK(63, bits_per(((length - 1 + virt) & MASK64) ^ virt))
        m = np.bitwise_or.reduce(first ^ va_start)
        if n > 1:
            m |= np.bitwise_or.reduce(va_end[:-1])
        mask |= int(m)
    else:
        last_va = length - 1 + virt
        if last_va > MASK64:
            return 0
        mask = 0
        bits = bits_per(virt ^ last_va)
        if bits < 64:
            mask = pgsize_bitmap & GENMASK(63, bits)
        new_run = np.ones(n, dtype=bool)
        if n > 1:
            new_run[1:] = (dma[:-1] + lens[:-1]) != dma[1:]
            # entries that overflow 2**64 at their end also break the run
            new_run[1:] |= (dma[:-1] + lens[:-1]) < dma[:-1]
        mask |= int(np.bitwise_or.reduce((first ^ va_start)[new_run]))
        brk = new_run.copy()
        brk[0] = False
        if brk.any():
            mask |= int(np.bitwise_or.reduce(va_start[brk]))
    mask &= MASK64
    if mask:
        pgsize_bitmap &= GENMASK(__ffs(mask), 0)
    return rounddown_pow_of_two(pgsize_bitmap) if pgsize_bitmap else 0
