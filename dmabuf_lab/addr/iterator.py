"""Christian König's first/next iterator over an exporter's ranges.

Instead of handing the importer a container, the exporter offers a cursor:
``first()`` starts a walk of its address list and returns the first
``(addr, len)``, ``next()`` returns the following one, None at the end.  The
iterator counts how often the producer was walked (``walks``: one per
``first()``) and how many entries it produced (``steps``).  An importer that
maps fragment by fragment walks once; an RDMA-style importer must size its
hardware page table before filling it, so it walks twice — Jason's objection.

Producers: a RangeArray, an sg_table (its DMA entries), RFC v1
``dma_buf_ranges`` (xarray of ``struct range *``), a phys_vec ``KArray``,
RFC v2 ``dma_buf_mapping`` / ``dma_buf_ranges_v2``, mapping-types-2026-02 ``dma_buf_phys_list``.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .kinds import Addr, DmaAddr, PhysAddr
from .ranges import RANGE_DTYPE, RangeArray


def _walker(producer, kind: type[Addr] | None) -> Callable[[], Iterator[tuple[Addr, int]]]:
    """A function that starts a fresh walk over ``producer``."""
    from ..kmodel.alloc import KArray
    from . import lib_scatterlist as sgm
    from . import phys_vec_array as pv
    from . import xarray_ranges as xr

    def wrap(a, k):
        if isinstance(a, Addr) or k is None:
            return a
        return k(int(a))

    if isinstance(producer, RangeArray):
        return lambda: iter(producer)
    if isinstance(producer, sgm.sg_table):
        k = kind or DmaAddr
        return lambda: ((wrap(sgm.sg_dma_address(sg), k), int(sgm.sg_dma_len(sg)))
                        for sg in sgm.for_each_sgtable_dma_sg(producer))
    if isinstance(producer, xr.dma_buf_ranges):
        k = kind or PhysAddr
        from ..kmodel.xarray import xa_for_each
        return lambda: ((wrap(r.start, k), xr.range_len(r))
                        for _, r in xa_for_each(producer.ranges))
    if isinstance(producer, pv.dma_buf_ranges_v2):
        k = kind or PhysAddr
        return lambda: ((wrap(producer.ranges[i].start, k),
                         int(producer.ranges[i].end) - int(producer.ranges[i].start) + 1)
                        for i in range(producer.nranges))
    if isinstance(producer, pv.dma_buf_mapping):
        return _phys_walker(lambda: producer.phys, lambda: producer.nents, kind)
    if isinstance(producer, pv.dma_buf_phys_list):
        return _phys_walker(lambda: producer.phys, lambda: producer.length, kind)
    if isinstance(producer, KArray):
        return _phys_walker(lambda: producer, lambda: len(producer), kind)
    raise TypeError(f"no first/next walker for {type(producer).__name__}")


def _phys_walker(arr_fn, n_fn, kind):
    def walk():
        arr = arr_fn()
        for i in range(int(n_fn())):
            e = arr[i]
            a = e.paddr
            if kind is not None and not isinstance(a, Addr):
                a = kind(int(a))
            elif not isinstance(a, Addr):
                a = PhysAddr(int(a))
            yield a, int(e.len)
    return walk


class dma_buf_range_iter:
    """A first/next cursor over a producer's ranges that counts its walks."""

    def __init__(self, producer, *, kind: type[Addr] | None = None):
        self.producer = producer
        self._start = _walker(producer, kind)
        self._it: Iterator | None = None
        self.walks = 0
        self.steps = 0

    def first(self):
        """Start a new walk of the producer; the first ``(addr, len)`` or None."""
        self.walks += 1
        self._it = self._start()
        return self.next()

    def next(self):
        """The next ``(addr, len)`` of the current walk, or None at its end."""
        if self._it is None:
            raise RuntimeError("dma_buf_range_iter.next() before first()")
        item = next(self._it, None)
        if item is None:
            self._it = None
        else:
            self.steps += 1
        return item

    def __repr__(self) -> str:
        return (f"dma_buf_range_iter({type(self.producer).__name__}, walks={self.walks}, "
                f"steps={self.steps})")


def iter_ranges(producer, *, kind: type[Addr] | None = None) -> Iterator[tuple[Addr, int]]:
    """Plain Python iteration over any producer's ``(addr, len)`` entries."""
    return _walker(producer, kind)()


def dma_buf_range_iter_first(it: dma_buf_range_iter):
    """``first()`` as a free function."""
    return it.first()


def dma_buf_range_iter_next(it: dma_buf_range_iter):
    """``next()`` as a free function."""
    return it.next()


def consume_streaming(it: dma_buf_range_iter, map_one: Callable[[Addr, int], object] | None = None
                      ) -> RangeArray:
    """An importer that maps each fragment as it arrives (one walk)."""
    out = []
    e = it.first()
    while e is not None:
        if map_one is not None:
            map_one(*e)
        out.append(e)
        e = it.next()
    return _collect(out)


def consume_sized(it: dma_buf_range_iter) -> RangeArray:
    """An RDMA-style importer: count the entries to size its table, then fill
    it (two walks).  Returns what it filled."""
    count = 0
    e = it.first()
    while e is not None:
        count += 1
        e = it.next()
    table = np.zeros(count, dtype=RANGE_DTYPE)
    kind = None
    i = 0
    e = it.first()
    while e is not None:
        if i >= count:
            raise RuntimeError("producer grew between the sizing walk and the filling walk")
        kind = kind or type(e[0])
        table[i] = (int(e[0]), int(e[1]))
        i += 1
        e = it.next()
    return RangeArray(table[:i], kind=kind if isinstance(kind, type) and issubclass(kind, Addr)
                      else PhysAddr)


def _collect(items) -> RangeArray:
    out = np.zeros(len(items), dtype=RANGE_DTYPE)
    kind = PhysAddr
    for i, (a, n) in enumerate(items):
        out[i] = (int(a), int(n))
        if i == 0 and isinstance(a, Addr):
            kind = type(a)
    return RangeArray(out, kind=kind)
