"""Size constants shared by the address model (x86-64 values).

PAGE_SIZE is the 4 KiB base page of x86-64; UINT_MAX is the largest value a
C ``unsigned int`` holds, which caps ``sg_dma_len()`` of one scatterlist entry.
"""
from __future__ import annotations

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1)

UINT_MAX = (1 << 32) - 1
INT_MAX = (1 << 31) - 1
U64_MAX = (1 << 64) - 1
SIZE_MAX = U64_MAX            # size_t on a 64-bit kernel
PHYS_ADDR_MAX = U64_MAX       # phys_addr_t and dma_addr_t are 64 bits wide on x86-64

SZ_4K = 0x1000
SZ_8K = 0x2000
SZ_16K = 0x4000
SZ_32K = 0x8000
SZ_64K = 0x10000
SZ_128K = 0x20000
SZ_256K = 0x40000
SZ_512K = 0x80000
SZ_1M = 0x100000
SZ_2M = 0x200000
SZ_4M = 0x400000
SZ_16M = 0x1000000
SZ_256M = 0x10000000
SZ_512M = 0x20000000
SZ_1G = 0x40000000
SZ_2G = 0x80000000
SZ_4G = 0x100000000
SZ_512G = 0x8000000000


def PAGE_ALIGN(x: int) -> int:
    """Round ``x`` up to the next page boundary, like the kernel macro."""
    return (int(x) + PAGE_SIZE - 1) & PAGE_MASK


def PAGE_ALIGNED(x: int) -> bool:
    """True when ``x`` sits on a page boundary."""
    return (int(x) & (PAGE_SIZE - 1)) == 0


def DIV_ROUND_UP(n: int, d: int) -> int:
    """Integer ceiling division for non-negative operands (kernel macro)."""
    return (int(n) + int(d) - 1) // int(d)


# get_order() (include/asm-generic/getorder.h) has one twin, with the C's answer for 0
from dmabuf_lab.kernels.getorder import get_order  # noqa: E402,F401

# Largest DMA-only sg entry dma-buf-mapping.c writes.  Linux 6.19 splits at
# UINT_MAX (so entries after the first are not page aligned); later trees
# split at ALIGN_DOWN(UINT_MAX, PAGE_SIZE) = 0xfffff000.
MAX_SG_ENT_SZ = UINT_MAX & ~(PAGE_SIZE - 1)
