"""Speed-of-light loops: what each kernel must move, and nothing else.

For every kernel a numba loop reads the kernel's inputs once and writes
output arrays of the kernel's widths, with the least work a translation can
do per range: no validation, no splitting, no table walk beyond one load.
Its time, measured in the same run as the kernel, says how close the
kernel is to the fastest loop that produces output of this shape on this
machine -- and, against the copy roofline, whether the roofline goal is
within reach at all for these streams.
"""
from __future__ import annotations

import numpy as np

from dmabuf_lab.kernels import threads
from dmabuf_lab.kernels.jit import numba
from dmabuf_lab.kernels.streaming import stream_fence, stream_store

U64 = np.uint64
CHUNKS = 64  # ranges are cut into this many chunks; each ends with one fence


@numba.njit(parallel=True, cache=True)
def segments_loop(starts, lengths, blk_dpa, shift, status, vf, ri, dpa, ln):
    """Translation: per range one window shift, one block load, one segment."""
    mask = U64(blk_dpa.shape[0] - 1)
    n = starts.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            a = starts[i]
            stream_store(status, i, 0)
            stream_store(vf, i, np.int32(a >> U64(shift)))
            stream_store(ri, i, i)
            stream_store(dpa, i, blk_dpa[(a >> U64(21)) & mask] + (a & U64(0x1FFFFF)))
            stream_store(ln, i, lengths[i])
        stream_fence()


@numba.njit(parallel=True, cache=True)
def rfc_loop(starts, lengths, blk_dpa, shift, status, vf, ri, dpa, order):
    """RFC translation: one entry per range, and the order byte."""
    mask = U64(blk_dpa.shape[0] - 1)
    n = starts.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            a = starts[i]
            stream_store(status, i, 0)
            stream_store(vf, i, np.int32(a >> U64(shift)))
            stream_store(ri, i, i)
            stream_store(dpa, i, blk_dpa[(a >> U64(21)) & mask] + (a & U64(0x1FFFFF)))
            stream_store(order, i, np.uint8(lengths[i] >> U64(12)))
        stream_fence()


@numba.njit(parallel=True, cache=True)
def chunks_loop(iova, paddr, size, status, o_ri, o_iova, o_paddr, o_pgsize, o_count):
    """The split: one chunk per range."""
    n = iova.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            s = size[i]
            stream_store(status, i, 0)
            stream_store(o_ri, i, i)
            stream_store(o_iova, i, iova[i])
            stream_store(o_paddr, i, paddr[i])
            stream_store(o_pgsize, i, U64(4096))
            stream_store(o_count, i, s >> U64(12))
        stream_fence()


@numba.njit(parallel=True, cache=True)
def status_loop(va, oa, size, status):
    """The page-table summary: read every range, write its status."""
    n = va.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            stream_store(status, i, np.int32((va[i] | oa[i] | size[i]) & U64(0xFFF)))
        stream_fence()


@numba.njit(parallel=True, cache=True)
def leaves_loop(va, oa, size, offsets, status, o_va, o_pte, o_lvl):
    """Page-table emission: every 4K page of every range one entry, at offsets
    known in advance (the loop gets the prefix sum the kernel has to find)."""
    n = va.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            v = va[i]
            o = oa[i]
            stream_store(status, i, 0)
            j = offsets[i]
            for k in range(size[i] >> U64(12)):
                stream_store(o_va, j, v + (U64(k) << U64(12)))
                stream_store(o_pte, j, (o + (U64(k) << U64(12))) | U64(3))
                stream_store(o_lvl, j, 0)
                j += 1
        stream_fence()


class Loop:
    """One speed-of-light loop over preallocated outputs: ``run()`` and the bytes it moves."""

    def __init__(self, fn, args, nbytes: int):
        threads.before_first_parallel_kernel()
        self.fn, self.args, self.nbytes = fn, args, int(nbytes)

    def run(self):
        self.fn(*self.args)


def _blocks(topo):
    """A power-of-two table of block addresses the loops index with a mask."""
    n = 1 << max(0, (int(topo.blk_dpa.size) - 1).bit_length())
    out = np.zeros(n, dtype=U64)
    out[:topo.blk_dpa.size] = topo.blk_dpa
    return out


def for_translate(d) -> Loop:
    n = d["n"]
    outs = (np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64), np.empty(n, U64), np.empty(n, U64))
    return Loop(segments_loop, (d["starts"], d["lengths"], _blocks(d["topo"]), 32) + outs, 16 * n + 8 * n + 24 * n)


def for_rfc(d) -> Loop:
    n = d["n"]
    outs = (np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64), np.empty(n, U64),
            np.empty(n, np.uint8))
    return Loop(rfc_loop, (d["starts"], d["lengths"], _blocks(d["topo"]), 32) + outs, 16 * n + 8 * n + 17 * n)


def for_split(d) -> Loop:
    n = d["n"]
    outs = (np.empty(n, np.int32),) + tuple(np.empty(n, dt) for dt in (np.int64, U64, U64, U64, U64))
    return Loop(chunks_loop, (d["iova"], d["paddr"], d["size"]) + outs, 24 * n + 4 * n + 40 * n)


def for_pt_summary(d) -> Loop:
    n = d["n"]
    return Loop(status_loop, (d["va"], d["oa"], d["size"], np.empty(n, np.int32)), 24 * n + 4 * n)


def for_pt_emit(d) -> Loop:
    n = d["n"]
    pages = (d["size"] >> U64(12)).astype(np.int64)
    offsets = np.zeros(n, dtype=np.int64)
    np.cumsum(pages[:-1], out=offsets[1:])
    total = int(pages.sum())
    outs = (np.empty(n, np.int32), np.empty(total, U64), np.empty(total, U64), np.empty(total, np.int8))
    return Loop(leaves_loop, (d["va"], d["oa"], d["size"], offsets) + outs, 24 * n + 4 * n + 17 * total)
