"""numba, or a stand-in that runs the same code as plain Python where numba
is not installed, and the bit scans on LLVM intrinsics.

Kept apart from :mod:`.bitops` so that the scalar twins import without
starting numba.
"""
from __future__ import annotations

import numpy as np

from .bitops import __ffs, __fls

try:
    import numba
    from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros
except ImportError:  # the reference backend still works without numba
    class _NoNumba:
        prange = range

        @staticmethod
        def njit(*args, **kwargs):
            if args and callable(args[0]):
                return args[0]
            return lambda f: f

        @staticmethod
        def get_num_threads():
            return 1

    numba = _NoNumba()
    trailing_zeros = leading_zeros = None

if trailing_zeros is not None:
    @numba.njit(inline="always", cache=True)
    def nb_ffs(x):
        """__ffs for a non-zero uint64 (LLVM cttz)."""
        return np.int64(trailing_zeros(np.uint64(x)))

    @numba.njit(inline="always", cache=True)
    def nb_fls(x):
        """__fls for a non-zero uint64 (LLVM ctlz)."""
        return np.int64(63 - leading_zeros(np.uint64(x)))
else:
    def nb_ffs(x):
        return __ffs(int(x))

    def nb_fls(x):
        return __fls(int(x))
