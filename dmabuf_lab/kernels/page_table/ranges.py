"""Input checks for ``build_page_table``: shape, VA order, overlap, and the
per-range status (-EINVAL misaligned, -ERANGE beyond the VA width)."""
from __future__ import annotations

import numpy as np

from .. import backends
from ..bitops import __ffs
from ..errno import EINVAL, ERANGE
from ..pt_formats import PtFormat

U64 = np.uint64


def prepare(ranges, fmt: PtFormat, check: bool = True):
    va, oa, size = (np.ascontiguousarray(backends.to_host(a), dtype=U64) for a in ranges)
    if not (va.shape == oa.shape == size.shape) or va.ndim != 1:
        raise ValueError("ranges must be three 1-D arrays (va, oa, size) of the same length")
    if not check:  # the numba kernel checks order and overlap during its own pass
        return va, oa, size
    return sort_and_check(va, oa, size)


OVERLAP_MSG = "ranges overlap in VA; a page table maps each VA once"


def sort_and_check(va, oa, size):
    if va.size > 1 and np.any(va[1:] < va[:-1]):
        order = np.argsort(va, kind="stable")
        va, oa, size = va[order], oa[order], size[order]
    if va.size > 1:
        end = va[:-1] + size[:-1]
        if np.any((end > va[1:]) & (size[:-1] != 0)) or np.any(end < va[:-1]):
            raise ValueError(OVERLAP_MSG)
    return va, oa, size


def status_np(va, oa, size, fmt: PtFormat):
    minmask = U64((1 << __ffs(fmt.pgsize_bitmap)) - 1)
    st = np.zeros(va.shape, dtype=np.int32)
    st[((va | oa | size) & minmask) != 0] = -EINVAL
    if fmt.va_bits < 64:
        lim = U64(1 << fmt.va_bits)
        over = (va >= lim) | (size > lim - np.minimum(va, lim))
        st[(st == 0) & over] = -ERANGE
    return st
