"""Thread policy for the parallel CPU kernels, decided in one place.

numba's OpenMP threading layer (libgomp here) lets idle workers spin for
300,000 iterations before sleeping.  On a loaded 2-core VM the spinners hold
the CPUs the master and other processes need: parallel kernels took 12-16 ms
per call even for 1000 ranges.  Measured alternatives, 1000 ranges of
translate (two parallel regions), loadavg 2-3.5, median per call:

* passive (sleep at once): 50-180 us, slowest tenth <= 250 us;
* ``GOMP_SPINCOUNT=20000``: 30-40 us, but the slowest tenth 1-2 ms.

Passive pays a futex wake-up per parallel region but never stalls, so it is
the default.  libgomp reads the policy once, when numba starts its pool, so
:func:`before_first_parallel_kernel` runs from the numba dispatchers before
their first kernel -- not when a module is imported.  Values the user
exported (``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``) win.
"""
from __future__ import annotations

import os

_done = False


def before_first_parallel_kernel() -> None:
    """Choose the passive OpenMP wait policy unless the user chose one."""
    global _done
    if _done:
        return
    _done = True
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = "passive"


def two_thread_pass() -> bool:
    """True where the one-pass kernels (two threads writing towards each other) fit:
    numba runs at most two threads, so a count pass would buy no extra parallelism."""
    from .jit import numba
    return numba.get_num_threads() <= 2
