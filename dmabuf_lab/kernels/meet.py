"""Two CPU threads writing towards each other, for the one-pass kernels.

On a two-core machine a count pass buys no parallelism, so the one-pass
kernels read each range once and write its output at once: thread 0 walks
the first half of the ranges backwards writing downwards from a meeting
point ``mid``, thread 1 walks the second half forwards writing upwards from
it.  The output is one contiguous run around ``mid``, in input order.
"""
from __future__ import annotations

from .jit import numba


@numba.njit(inline="always", cache=True)
def half_of(t, half, n):
    """The ranges thread t walks: ``[0, half)`` or ``[half, n)``."""
    if t == 0:
        return 0, half
    return half, n


@numba.njit(inline="always", cache=True)
def nth(t, lo, hi, r):
    """The r-th range thread t visits (thread 0 walks backwards)."""
    return hi - 1 - r if t == 0 else lo + r


@numba.njit(inline="always", cache=True)
def claim(t, j, m, cap):
    """Room for m outputs next to the cursor j: (first index, new cursor), or
    (-1, j) when the thread would run past its end of the output."""
    if t == 0:
        if m > j:
            return -1, j
        return j - m, j - m
    if m > cap - j:
        return -1, j
    return j, j + m
