"""What the timing notebooks (09, 10) set up before their first measurement.

* :func:`passive_omp_wait`: numba's OpenMP threads spin at each barrier by
  default; on a busy 2-core machine a spinning thread can hold a core another
  needs and one call then takes milliseconds.  Sleeping waits keep the
  timings about the code.  Call it before the first parallel kernel runs in
  the process.
* :func:`say`, :func:`span`, :func:`mib`: prose that quotes numbers from the
  run, so the text under a figure never goes stale.
"""
from __future__ import annotations


def passive_omp_wait() -> None:
    """Make OpenMP threads sleep, not spin, while they wait (unless the user chose otherwise):
    the kernels' thread policy (:mod:`dmabuf_lab.kernels.threads`), applied now."""
    from dmabuf_lab.kernels import threads
    threads.before_first_parallel_kernel()


def say(text: str) -> None:
    """Show ``text`` as Markdown in the notebook."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def span(values, fmt: str = ".2f", unit: str = "") -> str:
    """'lo to hi' for a series of numbers, or one number when they agree at this precision."""
    lo, hi = format(min(values), fmt) + unit, format(max(values), fmt) + unit
    return lo if lo == hi else f"{lo} to {hi}"


def mib(n) -> str:
    """Bytes as MiB with one decimal."""
    return f"{n / 2**20:,.1f} MiB"
