"""Translation on the GPU (numba.cuda; CuPy arrays stay on the device).

One thread per range, the same device bodies as the CPU kernels: correct
mode counts, scans and emits; RFC mode writes one entry per range.
"""
from __future__ import annotations

import numpy as np

from .. import backends
from ..twin import cuda_kernel
from .device import place, rfc_place, write_segments
from .result import Segments, TranslateResult

U64 = np.uint64
cuda = None  # numba.cuda, bound on first use (the simulator swaps this global per kernel)
_KERNELS = {}


def count_kernel(starts, lengths, t, counts, status, vfo):
    i = cuda.grid(1)
    if i < starts.shape[0]:
        st, v, k, inner, m = place(starts[i], lengths[i], t)
        status[i] = st
        vfo[i] = v
        counts[i] = m


def emit_kernel(starts, lengths, t, offsets, status, o_ri, o_dpa, o_len):
    i = cuda.grid(1)
    if i < starts.shape[0] and status[i] == 0:
        ln = lengths[i]
        st, v, k, inner, m = place(starts[i], ln, t)
        write_segments(i, k, inner, ln, m, offsets[i], t, o_ri, o_dpa, o_len)


def rfc_kernel(starts, lengths, t, status, vfo, dpa, order):
    i = cuda.grid(1)
    if i < starts.shape[0]:
        st, v, d, o = rfc_place(starts[i], lengths[i], t)
        status[i] = st
        vfo[i] = v
        dpa[i] = d
        order[i] = o


def _kernels():
    global cuda
    if not _KERNELS:
        from numba import cuda
        _KERNELS.update(count=cuda_kernel(count_kernel), emit=cuda_kernel(emit_kernel),
                        rfc=cuda_kernel(rfc_kernel))
    return _KERNELS


def translate(starts, lengths, topo, lookup: str, mode: str) -> TranslateResult:
    k = _kernels()
    dev = backends.DeviceArrays(backends.is_device_array(starts))
    starts, lengths = dev.put(starts), dev.put(lengths)
    rec = topo.record(lookup, dev.put)
    n = starts.shape[0]
    status = dev.zeros(n, np.int32)
    vfo = dev.zeros(n, np.int32)
    blocks, nthreads = backends.cuda_launch_shape(n)
    if mode == "rfc":
        dpa = dev.zeros(n, U64)
        order = dev.zeros(n, np.uint8)
        if n:
            k["rfc"][blocks, nthreads](starts, lengths, rec, status, vfo, dpa, order)
        return TranslateResult("rfc", dev.out(status), dev.out(vfo), dev.out(dev.xp.arange(n, dtype=np.int64)),
                               dev.out(dpa), dev.out(lengths), dev.out(order))
    counts = dev.zeros(n, np.int64)
    if n:
        k["count"][blocks, nthreads](starts, lengths, rec, counts, status, vfo)
    offsets = dev.exclusive_scan(counts)
    total = int(offsets[-1])
    out = Segments(dev.empty(total, np.int64), dev.empty(total, U64), dev.empty(total, U64))
    if n and total:
        k["emit"][blocks, nthreads](starts, lengths, rec, offsets, status, *out)
    return TranslateResult("correct", dev.out(status), dev.out(vfo), *(dev.out(a) for a in out))
