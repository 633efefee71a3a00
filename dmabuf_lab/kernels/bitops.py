"""Bit helpers from include/linux/bitops.h, for 64-bit words.

Three flavours of the same four operations:

* plain Python on exact integers (the scalar twins use these);
* ``nb_*`` (in :mod:`.jit`): numba ``njit`` functions over ``uint64`` built
  on the LLVM count-zeros intrinsics;
* ``portable_*``: branch-only arithmetic with no intrinsics, compiled as CUDA
  device functions (the CUDA simulator's ``ffs``/``clz`` only look at 32 bits,
  so the GPU path avoids them and the simulator then checks the same code).

Kernel naming: ``__ffs(x)`` is the 0-based index of the lowest set bit,
``__fls(x)`` the 0-based index of the highest, ``fls64(x)`` is 1-based with
``fls64(0) == 0``.  ``__ffs(0)`` and ``__fls(0)`` are undefined in C; here they
return 64 and -1 so callers can test for it.
"""
from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1


def __ffs(x: int) -> int:
    """0-based index of the lowest set bit (64 when ``x`` is 0)."""
    x &= MASK64
    if x == 0:
        return 64
    return (x & -x).bit_length() - 1


def __fls(x: int) -> int:
    """0-based index of the highest set bit (-1 when ``x`` is 0)."""
    return (x & MASK64).bit_length() - 1


def fls64(x: int) -> int:
    """1-based index of the highest set bit, 0 for 0."""
    return (x & MASK64).bit_length()


def GENMASK(h: int, l: int) -> int:
    """Bits ``l`` through ``h`` set (inclusive), like the kernel macro."""
    return ((MASK64 << l) & MASK64) & (MASK64 >> (63 - h))


def bits_per(n: int) -> int:
    """Bits needed to hold ``n``; ``bits_per(0) == bits_per(1) == 1``."""
    n &= MASK64
    return 1 if n < 2 else n.bit_length()


def rounddown_pow_of_two(n: int) -> int:
    """Largest power of two not above ``n`` (``n`` > 0)."""
    return 1 << __fls(n)


def roundup_pow_of_two(n: int) -> int:
    """Smallest power of two not below ``n`` (``n`` > 0)."""
    return 1 << (n - 1).bit_length()


# ------------------------------------------------------------- numpy arrays
def np_fls64(x):
    """Vectorised ``fls64`` on a uint64 array (exact: each 32-bit half goes
    through float64, which holds it exactly)."""
    x = np.asarray(x, dtype=np.uint64)
    hi = (x >> np.uint64(32)).astype(np.float64)
    lo = (x & np.uint64(0xFFFFFFFF)).astype(np.float64)
    fhi = np.frexp(hi)[1].astype(np.int64)
    flo = np.frexp(lo)[1].astype(np.int64)
    return np.where(hi > 0, fhi + 32, flo)


def np_ffs(x):
    """Vectorised ``__ffs`` on a uint64 array (64 where the word is 0)."""
    x = np.asarray(x, dtype=np.uint64)
    low = x & (np.uint64(0) - x)
    return np.where(x == 0, 64, np_fls64(low) - 1)


# ------------------------------------------------------ portable (CUDA device)
def portable_ffs(x):
    """0-based lowest set bit of a non-zero uint64 by halving (no intrinsics)."""
    x = np.uint64(x)
    n = np.int64(0)
    sh = np.int64(32)
    while sh > 0:
        if (x & ((np.uint64(1) << np.uint64(sh)) - np.uint64(1))) == np.uint64(0):
            n += sh
            x = x >> np.uint64(sh)
        sh >>= 1
    return n


def portable_fls(x):
    """0-based highest set bit of a non-zero uint64 by halving (no intrinsics)."""
    x = np.uint64(x)
    n = np.int64(0)
    sh = np.int64(32)
    while sh > 0:
        if x >= (np.uint64(1) << np.uint64(sh)):
            n += sh
            x = x >> np.uint64(sh)
        sh >>= 1
    return n
