"""Translation on the CPU (numba, parallel).

With at most two threads (:func:`threads.two_thread_pass`) correct mode
reads the input once (:func:`translate_one_pass`: the two threads write
towards each other, no count pass); with more, count -> prefix sum -> emit
over chunks of ranges.  RFC mode writes one entry per range, in parallel.

The correct-mode kernels are compiled twice from one source: for any
topology, and for the SR-IOV fast path alone (``place`` bound to
:func:`~.device.place_sriov`, so the window and block searches are not
compiled in and the registers are the fast path's).
"""
from __future__ import annotations

import numpy as np

from .. import backends, threads
from ..jit import numba
from ..meet import claim, half_of, nth
from ..streaming import nt_flag, store, stream_fence  # noqa: F401  (nt_flag: for the caller)
from ..twin import cpu_kernel
from .device import fast_path, place, place_sriov, rfc_place, write_segments
from .result import Segments, TranslateResult

U64 = np.uint64


def count_pass(starts, lengths, t, bounds, chunk_counts, status, vfo):
    for c in numba.prange(bounds.shape[0] - 1):
        tot = np.int64(0)
        for i in range(bounds[c], bounds[c + 1]):
            st, v, k, inner, m = place(starts[i], lengths[i], t)
            store(status, i, st, t.stream)
            store(vfo, i, v, t.stream)
            tot += m
        chunk_counts[c] = tot
        stream_fence()


def emit_pass(starts, lengths, t, bounds, offsets, status, o_ri, o_dpa, o_len):
    for c in numba.prange(bounds.shape[0] - 1):
        j = offsets[c]
        for i in range(bounds[c], bounds[c + 1]):
            if status[i] == 0:
                ln = lengths[i]
                st, v, k, inner, m = place(starts[i], ln, t)
                write_segments(i, k, inner, ln, m, j, t, o_ri, o_dpa, o_len)
                j += m
        stream_fence()


def translate_one_pass(starts, lengths, t, half, mid, status, vfo, o_ri, o_dpa, o_len, ends):
    """Correct mode in one read of the input, with two threads and no count pass.

    Thread 0 walks ranges ``[0, half)`` backwards and writes its segments
    backwards so that they end at ``mid``; thread 1 walks ``[half, n)``
    forwards writing from ``mid``.  The two halves meet at ``mid``, so the
    result is the contiguous ``o_*[ends[0]:ends[1]]`` whatever each half
    emitted.  ``ends[t] = -1`` when thread ``t`` ran out of room (the caller
    then runs count -> emit)."""
    for th in numba.prange(2):
        j = mid
        lo, hi = half_of(th, half, starts.shape[0])
        for r in range(hi - lo):
            i = nth(th, lo, hi, r)
            ln = lengths[i]
            st, v, k, inner, m = place(starts[i], ln, t)
            store(status, i, st, t.stream)
            store(vfo, i, v, t.stream)
            if st != 0:
                continue
            at, j = claim(th, j, m, o_dpa.shape[0])
            if at < 0:
                j = -1
                break
            write_segments(i, k, inner, ln, m, at, t, o_ri, o_dpa, o_len)
        ends[th] = j
        stream_fence()


class _Correct:
    """The three correct-mode kernels, compiled with ``bind`` (see :func:`twin.retarget`)."""

    def __init__(self, bind=None):
        k = cpu_kernel(bind=bind, parallel=True, cache=True)
        self.count_pass, self.emit_pass, self.one_pass = k(count_pass), k(emit_pass), k(translate_one_pass)


GENERAL, FAST = _Correct(), _Correct({"place": place_sriov})


@cpu_kernel(parallel=True, cache=True)
def rfc_pass(starts, lengths, t, bounds, status, vfo, ri, dpa, order):
    for c in numba.prange(bounds.shape[0] - 1):
        for i in range(bounds[c], bounds[c + 1]):
            st, v, d, o = rfc_place(starts[i], lengths[i], t)
            store(status, i, st, t.stream)
            store(vfo, i, v, t.stream)
            store(ri, i, i, t.stream)
            store(dpa, i, d, t.stream)
            store(order, i, o, t.stream)
        stream_fence()


def _segments(ws, n):
    return Segments(backends.empty(ws, "ri", n, np.int64), backends.empty(ws, "dpa", n, U64),
                    backends.empty(ws, "len", n, U64))


def translate(starts, lengths, rec, mode: str, workspace=None, one_pass: bool | None = None) -> TranslateResult:
    threads.before_first_parallel_kernel()
    ws = workspace
    n = starts.shape[0]
    status = backends.empty(ws, "status", n, np.int32)
    vfo = backends.empty(ws, "vf", n, np.int32)
    if mode == "rfc":
        ri = backends.empty(ws, "ri", n, np.int64)
        dpa = backends.empty(ws, "dpa", n, U64)
        order = backends.empty(ws, "order", n, np.uint8)
        rfc_pass(starts, lengths, rec, backends.chunk_bounds(n), status, vfo, ri, dpa, order)
        return TranslateResult("rfc", status, vfo, ri, dpa, lengths, order)
    kern = FAST if fast_path(rec) else GENERAL
    if (threads.two_thread_pass() if one_pass is None else one_pass) and n:
        half = n // 2
        slack = n // 8 + 64  # room for segments beyond one per range, on each side of the meeting point
        out = _segments(ws, n + 2 * slack)
        ends = np.zeros(2, dtype=np.int64)
        kern.one_pass(starts, lengths, rec, np.int64(half), np.int64(half + slack), status, vfo, *out, ends)
        e0, e1 = int(ends[0]), int(ends[1])
        if e0 >= 0 and e1 >= 0:
            return TranslateResult("correct", status, vfo, *(a[e0:e1] for a in out))
    bounds = backends.chunk_bounds(n)
    cc = np.zeros(bounds.shape[0] - 1, dtype=np.int64)
    kern.count_pass(starts, lengths, rec, bounds, cc, status, vfo)
    offsets = np.zeros(cc.size + 1, dtype=np.int64)
    np.cumsum(cc, out=offsets[1:])
    out = _segments(ws, int(offsets[-1]))
    kern.emit_pass(starts, lengths, rec, bounds, offsets, status, *out)
    return TranslateResult("correct", status, vfo, *out)
