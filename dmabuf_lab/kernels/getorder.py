"""``get_order()`` (include/asm-generic/getorder.h) and its bulk form.

``get_order(size)`` is the smallest ``order`` with ``PAGE_SIZE << order >=
size``: it rounds *up*, so a range that is not a power-of-two number of
pages is described as a bigger segment than it is.
"""
from __future__ import annotations

import numpy as np

from .bitops import MASK64, fls64, np_fls64

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT


def get_order(size: int) -> int:
    """Order of the smallest power-of-two page block holding ``size`` bytes.

    Like the C, the subtraction wraps: ``get_order(0)`` is 52 on a 64-bit
    kernel (BITS_PER_LONG - PAGE_SHIFT).
    """
    size = (size - 1) & MASK64
    size >>= PAGE_SHIFT
    return fls64(size)


def get_order_bulk(sizes) -> np.ndarray:
    """``get_order`` over a uint64 array (numpy reference; int64 result)."""
    s = np.asarray(sizes, dtype=np.uint64)
    return np_fls64((s - np.uint64(1)) >> np.uint64(PAGE_SHIFT))


def segment_bytes(order) -> np.ndarray | int:
    """Bytes a ``drm_pagemap_addr`` of this order claims: PAGE_SIZE << order."""
    if isinstance(order, (int, np.integer)):
        return PAGE_SIZE << int(order)
    return np.uint64(PAGE_SIZE) << np.asarray(order, dtype=np.uint64)
