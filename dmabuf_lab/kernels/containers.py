"""What it costs to hand a list of address fragments from exporter to importer.

The thread compares four carriers for N fragments ``(addr, len)``:

``sg_table``   chained scatterlists: 32-byte entries in 4 KiB chunks of
               ``SG_MAX_SINGLE_ALLOC`` = 128, the last entry of a full chunk
               is the chain link (include/linux/scatterlist.h);
``xarray``     an xarray of ``struct range *``: 64-slot nodes (576 bytes each
               on x86-64) pointing at separately allocated 16-byte ranges;
``flat_list``  one kvmalloc'd array of ``struct phys_vec {paddr, len}``;
``iterator``   first/next callbacks: nothing is stored, the exporter produces
               each fragment when asked.

For each carrier: *build* (exporter fills it from its own fragment arrays),
*consume* (importer walks it and writes each address into its own table) and
the *RDMA* case, where the importer needs the whole list before it can size
its HW table (``ib_umem_find_best_pgsz`` looks at every entry): a mask pass
and a fill pass -- over memory for the stored carriers, through the
exporter's ``next()`` twice for the iterator.

What this measures, honestly: compiled numba loops over numpy models of the
layouts above, on this machine.  It captures bytes touched, pointer chasing
between chunks/nodes/objects and extra passes; it does not capture slab
placement (our "separately allocated" objects sit in one array), kernel call
overheads beyond one indirect call (a C callback) per iterator step, or cache
effects of a real kernel.  Read the numbers as relative costs of the layouts.
"""
from __future__ import annotations

import time

import numpy as np

from .jit import numba

U64 = np.uint64
SIZEOF_SCATTERLIST = 32          # x86-64, CONFIG_NEED_SG_DMA_LENGTH
SG_MAX_SINGLE_ALLOC = 4096 // SIZEOF_SCATTERLIST
SG_CHAIN = 0x1                   # page_link bit 0: this entry links to the next chunk
SG_END = 0x2                     # page_link bit 1: last entry
XA_CHUNK_SHIFT = 6
XA_CHUNK_SIZE = 1 << XA_CHUNK_SHIFT
SIZEOF_XA_NODE = 576
SIZEOF_RANGE = 16                # struct range {u64 start, end}; kmalloc-16
SIZEOF_PHYS_VEC = 16
CONTAINERS = ("sg_table", "xarray", "flat_list", "iterator")


# ------------------------------------------------------------------ sg_table
def sg_chunks_needed(n: int) -> int:
    """Chunks of 128 entries, each full chunk but the last giving one slot to the chain link."""
    if n <= SG_MAX_SINGLE_ALLOC:
        return 1
    per = SG_MAX_SINGLE_ALLOC - 1
    return (n - 1 + per - 1) // per if (n - 1) % per else (n - 1) // per


@numba.njit(cache=True)
def _sg_build(addr, length, sg):
    # sg: (chunks * 128, 4) uint64 rows: page_link, offset|length, dma_address, dma_length
    n = addr.shape[0]
    pos = 0
    for i in range(n):
        slot = pos % SG_MAX_SINGLE_ALLOC
        if slot == SG_MAX_SINGLE_ALLOC - 1 and n - i > 1:
            sg[pos, 0] = U64(((pos + 1) << 2) | SG_CHAIN)  # chain to the next chunk
            pos += 1
        sg[pos, 0] = U64(0)
        sg[pos, 1] = length[i]
        sg[pos, 2] = addr[i]
        sg[pos, 3] = length[i]
        pos += 1
    if n:
        sg[pos - 1, 0] = U64(SG_END)
    return pos


@numba.njit(cache=True)
def _sg_walk(sg, nents, out, fill):
    # for_each_sg(): follow chain links with sg_next(); fill=False only ORs the
    # addresses together (the RDMA best-page-size pass)
    pos = 0
    total = U64(0)
    mask = U64(0)
    for i in range(nents):
        link = sg[pos, 0]
        if link & U64(SG_CHAIN):
            pos = np.int64(link >> U64(2))
        if fill:
            out[i] = sg[pos, 2]
        else:
            mask |= sg[pos, 2]
        total += sg[pos, 3]
        pos += 1
    return total, mask


# ------------------------------------------------------------------ xarray
def xa_nodes_needed(n: int) -> int:
    """Nodes of a dense xarray holding indices 0..n-1 (one slot per index)."""
    if n <= 1:
        return 0  # a single entry at index 0 lives in xa_head
    nodes, level = 0, (n + XA_CHUNK_SIZE - 1) // XA_CHUNK_SIZE
    while True:
        nodes += level
        if level == 1:
            return nodes
        level = (level + XA_CHUNK_SIZE - 1) // XA_CHUNK_SIZE


@numba.njit(cache=True)
def _xa_build(addr, length, ranges, leaves):
    # each entry: kmalloc a range, store its pointer (index) in the leaf slot
    n = addr.shape[0]
    for i in range(n):
        ranges[i, 0] = addr[i]
        ranges[i, 1] = addr[i] + length[i] - U64(1)  # struct range is inclusive
        leaves[i >> XA_CHUNK_SHIFT, i & (XA_CHUNK_SIZE - 1)] = i
    return n


@numba.njit(cache=True)
def _xa_walk(leaves, ranges, n, out, fill):
    # xa_for_each(): slot by slot through each leaf node, then dereference
    total = U64(0)
    mask = U64(0)
    i = 0
    for node in range(leaves.shape[0]):
        for slot in range(XA_CHUNK_SIZE):
            if i >= n:
                return total, mask
            p = leaves[node, slot]
            if fill:
                out[i] = ranges[p, 0]
            else:
                mask |= ranges[p, 0]
            total += ranges[p, 1] - ranges[p, 0] + U64(1)
            i += 1
    return total, mask


# ------------------------------------------------------------------ flat list
@numba.njit(cache=True)
def _flat_build(addr, length, vec):
    for i in range(addr.shape[0]):
        vec[i, 0] = addr[i]
        vec[i, 1] = length[i]
    return addr.shape[0]


@numba.njit(cache=True)
def _flat_walk(vec, out, fill):
    total = U64(0)
    mask = U64(0)
    for i in range(vec.shape[0]):
        if fill:
            out[i] = vec[i, 0]
        else:
            mask |= vec[i, 0]
        total += vec[i, 1]
    return total, mask


# ------------------------------------------------------------------ iterator
_NEXT_SIG = None


def _make_next():
    """The exporter's next() as a C callback, so every step is a real indirect call."""
    from numba import types
    sig = types.int64(types.CPointer(types.uint64), types.CPointer(types.uint64), types.int64, types.int64,
                      types.CPointer(types.uint64))

    def nxt(addr, length, n, cursor, frag):
        if cursor >= n:
            return -1
        frag[0] = addr[cursor]
        frag[1] = length[cursor]
        return cursor + 1
    return numba.cfunc(sig, cache=True)(nxt)


_iter_next = _make_next() if hasattr(numba, "cfunc") else None


@numba.njit(cache=True)
def _iter_walk(next_fn, addr, length, out, fill):
    frag = np.empty(2, dtype=np.uint64)
    n = addr.shape[0]
    total = U64(0)
    mask = U64(0)
    i = 0
    cur = next_fn(addr.ctypes, length.ctypes, n, 0, frag.ctypes)
    while cur >= 0:
        if fill:
            out[i] = frag[0]
        else:
            mask |= frag[0]
        total += frag[1]
        i += 1
        cur = next_fn(addr.ctypes, length.ctypes, n, cur, frag.ctypes)
    return total, mask


def footprint_bytes(container: str, n: int) -> int:
    """Bytes the carrier itself occupies for n fragments (structure headers ignored)."""
    if container == "sg_table":
        return sg_chunks_needed(n) * SG_MAX_SINGLE_ALLOC * SIZEOF_SCATTERLIST
    if container == "xarray":
        return xa_nodes_needed(n) * SIZEOF_XA_NODE + n * SIZEOF_RANGE
    if container == "flat_list":
        return n * SIZEOF_PHYS_VEC
    if container == "iterator":
        return 0
    raise ValueError(f"unknown container {container!r}; expected one of {CONTAINERS}")


class _Carrier:
    """Build / consume / RDMA-consume callables for one container on one input."""

    def __init__(self, name, addr, length):
        self.name, self.addr, self.length = name, addr, length
        n = addr.shape[0]
        self.n = n
        self.out = np.empty(n, dtype=U64)
        if name == "sg_table":
            self.store = np.empty((max(1, sg_chunks_needed(n)) * SG_MAX_SINGLE_ALLOC, 4), dtype=U64)
        elif name == "xarray":
            self.store = (np.empty((n, 2), dtype=U64),
                          np.empty((max(1, (n + XA_CHUNK_SIZE - 1) // XA_CHUNK_SIZE), XA_CHUNK_SIZE), dtype=np.int64))
        elif name == "flat_list":
            self.store = np.empty((n, 2), dtype=U64)
        elif name != "iterator":
            raise ValueError(f"unknown container {name!r}; expected one of {CONTAINERS}")

    def build(self):
        if self.name == "sg_table":
            return _sg_build(self.addr, self.length, self.store)
        if self.name == "xarray":
            return _xa_build(self.addr, self.length, self.store[0], self.store[1])
        if self.name == "flat_list":
            return _flat_build(self.addr, self.length, self.store)
        return self.n  # an iterator stores nothing

    def walk(self, out, fill):
        if self.name == "sg_table":
            return _sg_walk(self.store, self.n, out, fill)
        if self.name == "xarray":
            return _xa_walk(self.store[1], self.store[0], self.n, out, fill)
        if self.name == "flat_list":
            return _flat_walk(self.store, out, fill)
        return _iter_walk(_iter_next, self.addr, self.length, out, fill)

    def consume(self):
        """The importer writes every address into its own table (one walk)."""
        return self.walk(self.out, True)[0]

    def rdma(self):
        """ib_umem-style: one pass over the whole list for the page-size mask, size
        the HW table, then a second pass to fill it.  For stored carriers both
        passes read memory; for the iterator both re-run the exporter's next()."""
        total, mask = self.walk(self.out, False)
        table = np.empty(self.n, dtype=U64)
        return self.walk(table, True)[0]


def _best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_containers(sizes=(1, 10, 100, 1000, 10_000, 100_000, 1_000_000), repeat: int = 5, seed: int = 0):
    """Rows ``{container, fragments, build_s, consume_s, rdma_s, footprint_bytes, call_overhead_s}``.

    Times are the best of ``repeat``.  ``call_overhead_s`` is the consume time
    of an empty list: the Python-to-compiled-code call itself (about 12 us
    for the iterator, whose callback object is unboxed on every call), which
    swamps the small sizes; ``*_ns_per_fragment`` subtract it."""
    rng = np.random.default_rng(seed)
    rows = []
    overhead = {}
    empty = np.zeros(0, dtype=U64)
    for name in CONTAINERS:
        c = _Carrier(name, empty, empty)
        c.build()
        c.consume()
        overhead[name] = _best(c.consume, max(repeat, 5))
    for n in sizes:
        addr = (rng.integers(0, 1 << 36, n, dtype=np.int64).astype(U64) << U64(12))
        length = (rng.integers(1, 16, n, dtype=np.int64).astype(U64) << U64(12))
        expect = int(length.sum(dtype=U64))
        for name in CONTAINERS:
            c = _Carrier(name, addr, length)
            c.build()
            if int(c.consume()) != expect or int(c.rdma()) != expect:  # the warm-up is also a check
                raise AssertionError(f"{name}: consumed length differs from the input")
            if not np.array_equal(c.out, addr):
                raise AssertionError(f"{name}: consumed addresses differ from the input")
            b, co, r = _best(c.build, repeat), _best(c.consume, repeat), _best(c.rdma, repeat)
            oh = overhead[name]
            rows.append({"container": name, "fragments": int(n), "build_s": b, "consume_s": co, "rdma_s": r,
                         "footprint_bytes": footprint_bytes(name, n), "call_overhead_s": oh,
                         "consume_ns_per_fragment": max(co - oh, 0.0) * 1e9 / n,
                         "rdma_ns_per_fragment": max(r - 2 * oh, 0.0) * 1e9 / n})
    return rows
