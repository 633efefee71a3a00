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
from dmabuf_lab.kernels.streaming import nt_flag, store, stream_fence
from dmabuf_lab.kernels.twin import cpu_kernel

U64 = np.uint64
CHUNKS = 64  # ranges are cut into this many chunks; each ends with one fence


@cpu_kernel(parallel=True, cache=True)
def segments_loop(starts, lengths, blk_dpa, shift, status, vf, ri, dpa, ln, nt):
    """Translation: per range one window shift, one block load, one segment."""
    mask = U64(blk_dpa.shape[0] - 1)
    n = starts.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            a = starts[i]
            store(status, i, 0, nt)
            store(vf, i, np.int32(a >> U64(shift)), nt)
            store(ri, i, i, nt)
            store(dpa, i, blk_dpa[(a >> U64(21)) & mask] + (a & U64(0x1FFFFF)), nt)
            store(ln, i, lengths[i], nt)
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def rfc_loop(starts, lengths, blk_dpa, shift, status, vf, ri, dpa, order, nt):
    """RFC translation: one entry per range, and the order byte."""
    mask = U64(blk_dpa.shape[0] - 1)
    n = starts.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            a = starts[i]
            store(status, i, 0, nt)
            store(vf, i, np.int32(a >> U64(shift)), nt)
            store(ri, i, i, nt)
            store(dpa, i, blk_dpa[(a >> U64(21)) & mask] + (a & U64(0x1FFFFF)), nt)
            store(order, i, np.uint8(lengths[i] >> U64(12)), nt)
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def chunks_loop(iova, paddr, size, status, o_ri, o_iova, o_paddr, o_pgsize, o_count, nt):
    """The split: one chunk per range."""
    n = iova.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            s = size[i]
            store(status, i, 0, nt)
            store(o_ri, i, i, nt)
            store(o_iova, i, iova[i], nt)
            store(o_paddr, i, paddr[i], nt)
            store(o_pgsize, i, U64(4096), nt)
            store(o_count, i, s >> U64(12), nt)
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def status_loop(va, oa, size, status, nt):
    """The page-table summary: read every range, write its status."""
    n = va.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            store(status, i, np.int32((va[i] | oa[i] | size[i]) & U64(0xFFF)), nt)
        stream_fence()


@cpu_kernel(parallel=True, cache=True)
def leaves_loop(va, oa, size, offsets, status, o_va, o_pte, o_lvl, nt):
    """Page-table emission: every 4K page of every range one entry, at offsets
    known in advance (the loop gets the prefix sum the kernel has to find)."""
    n = va.shape[0]
    for c in numba.prange(CHUNKS):
        for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS):
            v = va[i]
            o = oa[i]
            store(status, i, 0, nt)
            j = offsets[i]
            for k in range(size[i] >> U64(12)):
                store(o_va, j, v + (U64(k) << U64(12)), nt)
                store(o_pte, j, (o + (U64(k) << U64(12))) | U64(3), nt)
                store(o_lvl, j, 0, nt)
                j += 1
        stream_fence()


class Loop:
    """One speed-of-light loop over preallocated outputs: ``run()`` and the bytes it moves.

    It stores as the kernels do: non-temporal stores where
    :func:`~dmabuf_lab.kernels.streaming.nt_flag` would choose them for
    outputs of this size (``nt``), plain stores elsewhere."""

    def __init__(self, fn, args, outs, nbytes: int):
        threads.before_first_parallel_kernel()
        self.nt = nt_flag(sum(o.nbytes for o in outs))
        self.fn, self.args, self.nbytes = fn, tuple(args) + tuple(outs) + (self.nt,), int(nbytes)

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
    return Loop(segments_loop, (d["starts"], d["lengths"], _blocks(d["topo"]), 32), outs, 16 * n + 8 * n + 24 * n)


def for_rfc(d) -> Loop:
    n = d["n"]
    outs = (np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64), np.empty(n, U64),
            np.empty(n, np.uint8))
    return Loop(rfc_loop, (d["starts"], d["lengths"], _blocks(d["topo"]), 32), outs, 16 * n + 8 * n + 17 * n)


def for_split(d) -> Loop:
    n = d["n"]
    outs = (np.empty(n, np.int32),) + tuple(np.empty(n, dt) for dt in (np.int64, U64, U64, U64, U64))
    return Loop(chunks_loop, (d["iova"], d["paddr"], d["size"]), outs, 24 * n + 4 * n + 40 * n)


def for_pt_summary(d) -> Loop:
    n = d["n"]
    return Loop(status_loop, (d["va"], d["oa"], d["size"]), (np.empty(n, np.int32),), 24 * n + 4 * n)


def for_pt_emit(d) -> Loop:
    n = d["n"]
    pages = (d["size"] >> U64(12)).astype(np.int64)
    offsets = np.zeros(n, dtype=np.int64)
    np.cumsum(pages[:-1], out=offsets[1:])
    total = int(pages.sum())
    outs = (np.empty(n, np.int32), np.empty(total, U64), np.empty(total, U64), np.empty(total, np.int8))
    return Loop(leaves_loop, (d["va"], d["oa"], d["size"], offsets), outs, 24 * n + 4 * n + 17 * total)
