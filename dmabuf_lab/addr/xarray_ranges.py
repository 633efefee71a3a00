"""RFC v1's container: ``struct dma_buf_ranges {struct xarray ranges; nranges}``
holding ``struct range *`` entries (the RFC v1 thread (2025-10-14), patches 1 and 3).

The exporter (vfio-pci in the RFC) fills it in ``map_interconnect``: one
``kmalloc_array(nranges, sizeof(struct range))`` and an ``xa_store`` of a
pointer to each element, index ``i`` for range ``i``.  Its
``unmap_interconnect`` frees the array through the pointer at index 0; the core
then runs ``xa_destroy`` and frees the container.  Reviewers objected that an
xarray can only hold pointers, so every range costs an extra allocation (or a
side array) plus xa_nodes; ``footprint_bytes`` makes that cost visible.
``per_entry=True`` models the other way to feed an xarray of pointers: one
``kmalloc(sizeof(struct range))`` per entry.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..kmodel.alloc import GFP_KERNEL, KArray, allocation_of, kfree, kmalloc, kmalloc_array, kstruct, kzalloc
from ..kmodel.err_ptr import ERR_PTR
from ..kmodel.errno import ENOMEM
from ..kmodel.xarray import (xa_count_nodes, xa_destroy, xa_err, xa_for_each, xa_init, xa_is_err,
                             xa_load, xa_store, xarray)
from . import footprint as _fp
from .kinds import Addr, PhysAddr
from .ranges import RANGE_DTYPE, RangeArray


class range(kstruct):  # noqa: A001 - the kernel's name (include/linux/range.h)
    """``struct range {u64 start; u64 end;}`` with an inclusive ``end``."""

    sizeof = _fp.sizeof_range
    fields = (("start", 0), ("end", 0))


struct_range = range


def range_len(r: range) -> int:
    """``end - start + 1``."""
    return int(r.end) - int(r.start) + 1


class dma_buf_ranges(kstruct):
    """RFC v1 ``struct dma_buf_ranges {struct xarray ranges; unsigned int nranges;}``."""

    sizeof = _fp.sizeof_dma_buf_ranges_v1
    fields = (("ranges", xarray), ("nranges", 0))

    @staticmethod
    def footprint_bytes(n: int, per_entry: bool = False) -> int | None:
        """Container + struct range storage + xa_nodes for ``n`` ranges (x86-64,
        allocator rounding included); None when the range array is too large
        for kmalloc (more than 262144 ranges)."""
        return _fp.xarray_ranges_bytes(n, per_entry=per_entry)


def _mark(arr: KArray, n: int) -> None:
    for i in builtins.range(n):
        object.__setattr__(arr[i], "_rpos", (arr, i))


def _heap_pointer(entry):
    """The pointer C would pass to kfree for ``entry`` (``&range[0] == range``)."""
    try:
        arr, i = object.__getattribute__(entry, "_rpos")
    except AttributeError:
        return entry
    return arr if i == 0 else entry


def dma_buf_ranges_alloc(gfp: int = GFP_KERNEL):
    """The core's half of ``dma_buf_map_interconnect``: kzalloc + ``xa_init``;
    None when the allocation fails."""
    ranges = kzalloc(dma_buf_ranges, gfp)
    if ranges is None:
        return None
    xa_init(ranges.ranges)
    return ranges


def dma_buf_ranges_fill(ranges: dma_buf_ranges, src: RangeArray, *, per_entry: bool = False,
                        gfp: int = GFP_KERNEL) -> int:
    """The exporter's half (``vfio_pci_map_iov_interconnect``): store one
    ``struct range`` per source range at index ``i``; 0 or -errno.

    As posted, a failing ``xa_store`` frees the range array but leaves the
    entries already stored pointing into it; the caller must ``xa_destroy``.
    """
    n = len(src)
    ranges.nranges = n
    starts = src.starts.tolist()
    lasts = src.lasts.tolist()
    if per_entry:
        for i in builtins.range(n):
            r = kmalloc(range, gfp)
            if r is None:
                _free_entries(ranges, i)
                return -ENOMEM
            r.start, r.end = starts[i], lasts[i]
            entry = xa_store(ranges.ranges, i, r, gfp)
            if xa_is_err(entry):
                kfree(r)
                _free_entries(ranges, i)
                return xa_err(entry)
        return 0
    arr = kmalloc_array(n, range, gfp)
    if arr is None:
        return -ENOMEM
    _mark(arr, n)
    for i in builtins.range(n):
        r = arr[i]
        r.start, r.end = starts[i], lasts[i]
        entry = xa_store(ranges.ranges, i, r, gfp)
        if xa_is_err(entry):
            kfree(arr)
            return xa_err(entry)
    return 0


def _free_entries(ranges: dma_buf_ranges, upto: int) -> None:
    for i in builtins.range(upto):
        kfree(xa_load(ranges.ranges, i))


def dma_buf_ranges_unmap(ranges: dma_buf_ranges, *, per_entry: bool = False) -> None:
    """The exporter's unmap (``vfio_pci_unmap_interconnect``): free the storage
    through the entry at index 0 (each entry with ``per_entry``)."""
    if per_entry:
        for _, entry in list(xa_for_each(ranges.ranges)):
            kfree(entry)
        return
    entry = xa_load(ranges.ranges, 0)
    kfree(_heap_pointer(entry) if entry is not None else None)


def dma_buf_ranges_destroy(ranges: dma_buf_ranges) -> None:
    """The core's teardown: ``xa_destroy`` then ``kfree`` of the container."""
    xa_destroy(ranges.ranges)
    kfree(ranges)


def xarray_ranges_from_ranges(src, *, per_entry: bool = False, gfp: int = GFP_KERNEL,
                              kind: type[Addr] = PhysAddr):
    """Build a filled ``dma_buf_ranges`` from a RangeArray or ``[(start, len)]``;
    ERR_PTR(-errno) on failure with nothing left allocated."""
    if not isinstance(src, RangeArray):
        src = RangeArray.from_pairs(list(src), kind=kind, align=None)
    ranges = dma_buf_ranges_alloc(gfp)
    if ranges is None:
        return ERR_PTR(-ENOMEM)
    ret = dma_buf_ranges_fill(ranges, src, per_entry=per_entry, gfp=gfp)
    if ret:
        dma_buf_ranges_destroy(ranges)
        return ERR_PTR(ret)
    return ranges


def xarray_ranges_free(ranges: dma_buf_ranges | None, *, per_entry: bool = False) -> None:
    """Unmap then destroy (the full teardown of a filled container)."""
    if ranges is None:
        return
    dma_buf_ranges_unmap(ranges, per_entry=per_entry)
    dma_buf_ranges_destroy(ranges)


def xarray_ranges_to_ranges(ranges: dma_buf_ranges, *, kind: type[Addr] = PhysAddr) -> RangeArray:
    """The stored ranges, in index order, as a RangeArray (not validated)."""
    starts, lens = [], []
    for _, r in xa_for_each(ranges.ranges):
        starts.append(int(r.start))
        lens.append(range_len(r))
    out = np.zeros(len(starts), dtype=RANGE_DTYPE)
    out["start"] = np.array(starts, dtype=np.uint64)
    out["length"] = np.array(lens, dtype=np.uint64)
    return RangeArray(out, kind=kind)


def xarray_ranges_live_bytes(ranges: dma_buf_ranges) -> int:
    """Footprint of a live container measured from what it holds: container,
    distinct range storage (with kmalloc rounding) and the nodes there now."""
    total = _fp.kmalloc_bytes(_fp.sizeof_dma_buf_ranges_v1)
    seen = set()
    for _, entry in xa_for_each(ranges.ranges):
        a = allocation_of(entry)
        if a is not None and id(a) not in seen:
            seen.add(id(a))
            total += _fp.kmalloc_bytes(a.size)
    return total + xa_count_nodes(ranges.ranges) * _fp.sizeof_xa_node


# ``range`` is deliberately left out so ``import *`` never shadows the builtin.
__all__ = ["struct_range", "range_len", "dma_buf_ranges", "dma_buf_ranges_alloc",
           "dma_buf_ranges_fill", "dma_buf_ranges_unmap", "dma_buf_ranges_destroy",
           "xarray_ranges_from_ranges", "xarray_ranges_free", "xarray_ranges_to_ranges",
           "xarray_ranges_live_bytes"]
