"""Flat containers: ``struct phys_vec`` arrays and the shapes built on them.

* ``struct phys_vec {phys_addr_t paddr; size_t len;}`` (include/linux/types.h)
  in one ``kvmalloc_array`` — Jason's "flat kvalloc array", what vfio and
  iommufd already pass around;
* RFC v2 (the RFC v2 1/8 thread (2025-10-26)): ``struct dma_buf_mapping {phys, nents, map_data}`` and
  ``struct dma_buf_ranges {ranges, nranges, ranges_data}`` (here
  ``dma_buf_ranges_v2``, a header pointing at a flat array);
* mapping-types-2026-02: ``struct dma_buf_phys_list {size_t length; phys[] __counted_by(length)}``,
  header and entries in one ``kvzalloc(struct_size(...))``.
"""
from __future__ import annotations

import numpy as np

from ..kmodel.alloc import (GFP_KERNEL, INT_MAX, KArray, allocation_of, kfree, kstruct, kvfree,
                            kvmalloc_array, kvzalloc, kzalloc)
from ..kmodel.err_ptr import ERR_PTR
from ..kmodel.errno import ENOMEM
from . import footprint as _fp
from .kinds import Addr, PhysAddr
from .ranges import RANGE_DTYPE, RangeArray


class phys_vec(kstruct):
    """``struct phys_vec {phys_addr_t paddr; size_t len;}``: one contiguous chunk."""

    sizeof = _fp.sizeof_phys_vec
    fields = (("paddr", 0), ("len", 0))

    @staticmethod
    def footprint_bytes(n: int, large: str = "vmalloc") -> int | None:
        """A flat ``kvmalloc_array(n, sizeof(struct phys_vec))``."""
        return _fp.phys_vec_array_bytes(n, large=large)


class dma_buf_mapping(kstruct):
    """RFC v2 ``struct dma_buf_mapping {struct phys_vec *phys; unsigned int nents; void *map_data;}``."""

    sizeof = _fp.sizeof_dma_buf_mapping
    fields = ("phys", ("nents", 0), "map_data")

    @staticmethod
    def footprint_bytes(n: int, large: str = "vmalloc") -> int | None:
        """kzalloc'd header + flat phys_vec array."""
        return _fp.dma_buf_mapping_bytes(n, large=large)


class dma_buf_ranges_v2(kstruct):
    """RFC v2 ``struct dma_buf_ranges {struct range *ranges; unsigned int nranges; void *ranges_data;}``."""

    sizeof = _fp.sizeof_dma_buf_ranges_v2
    fields = ("ranges", ("nranges", 0), "ranges_data")

    @staticmethod
    def footprint_bytes(n: int, large: str = "vmalloc") -> int | None:
        """kzalloc'd header + flat struct range array."""
        return _fp.dma_buf_ranges_v2_bytes(n, large=large)


class dma_buf_phys_list(kstruct):
    """mapping-types-2026-02 ``struct dma_buf_phys_list {size_t length; struct dma_buf_phys_vec phys[];}``.

    ``phys`` is the flexible array: it lives in the same allocation as the
    header (freeing the list frees it).
    """

    sizeof = _fp.sizeof_dma_buf_phys_list_header
    fields = (("length", 0), "phys")

    @staticmethod
    def footprint_bytes(n: int, large: str = "vmalloc") -> int | None:
        """One ``kvzalloc(struct_size(list, phys, n))``."""
        return _fp.phys_list_bytes(n, large=large)


# ------------------------------------------------------------ phys_vec arrays
def phys_vec_array_alloc(n: int, gfp: int = GFP_KERNEL) -> KArray | None:
    """``kvmalloc_array(n, sizeof(struct phys_vec))``; free with ``kvfree``."""
    return kvmalloc_array(int(n), phys_vec, gfp)


def phys_vec_fill(arr: KArray, src: RangeArray) -> None:
    """Copy ``src`` into ``arr[0 .. len(src)-1]``."""
    kind = src.kind
    for i, (s, n) in enumerate(zip(src.starts.tolist(), src.lengths.tolist())):
        pv = arr[i]
        pv.paddr = kind(s)
        pv.len = n


def phys_vec_array_from_ranges(src, gfp: int = GFP_KERNEL, *, kind: type[Addr] = PhysAddr):
    """A filled phys_vec array from a RangeArray or ``[(paddr, len)]``; None on ENOMEM."""
    if not isinstance(src, RangeArray):
        src = RangeArray.from_pairs(list(src), kind=kind, align=None)
    arr = phys_vec_array_alloc(len(src), gfp)
    if arr is None:
        return None
    phys_vec_fill(arr, src)
    return arr


def phys_vec_array_to_ranges(arr, nr: int | None = None, *, kind: type[Addr] | None = None) -> RangeArray:
    """The first ``nr`` (default all) entries of a phys_vec array as a RangeArray."""
    nr = len(arr) if nr is None else int(nr)
    starts = np.zeros(nr, dtype=np.uint64)
    lens = np.zeros(nr, dtype=np.uint64)
    found = None
    for i in range(nr):
        pv = arr[i]
        if found is None and isinstance(pv.paddr, Addr):
            found = type(pv.paddr)
        starts[i] = int(pv.paddr)
        lens[i] = int(pv.len)
    out = np.zeros(nr, dtype=RANGE_DTYPE)
    out["start"], out["length"] = starts, lens
    return RangeArray(out, kind=kind or found or PhysAddr)


# ------------------------------------------------------------ RFC v2 shapes
def dma_buf_mapping_from_ranges(src, gfp: int = GFP_KERNEL, *, map_data=None,
                                kind: type[Addr] = PhysAddr):
    """kzalloc a ``dma_buf_mapping`` and its phys_vec array; ERR_PTR(-ENOMEM)
    with nothing left allocated on failure."""
    m = kzalloc(dma_buf_mapping, gfp)
    if m is None:
        return ERR_PTR(-ENOMEM)
    arr = phys_vec_array_from_ranges(src, gfp, kind=kind)
    if arr is None:
        kfree(m)
        return ERR_PTR(-ENOMEM)
    m.phys = arr
    m.nents = len(arr)
    m.map_data = map_data
    return m


def dma_buf_mapping_free(m) -> None:
    """Free the phys_vec array then the header."""
    if m is None:
        return
    kvfree(m.phys)
    kfree(m)


def dma_buf_mapping_to_ranges(m, *, kind: type[Addr] | None = None) -> RangeArray:
    """The mapping's phys_vec entries as a RangeArray."""
    return phys_vec_array_to_ranges(m.phys, m.nents, kind=kind)


def dma_buf_ranges_v2_from_ranges(src, gfp: int = GFP_KERNEL, *, ranges_data=None,
                                  kind: type[Addr] = PhysAddr):
    """kzalloc a v2 ``dma_buf_ranges`` with a flat ``struct range`` array
    (inclusive ends); ERR_PTR(-ENOMEM) on failure."""
    from .xarray_ranges import struct_range

    if not isinstance(src, RangeArray):
        src = RangeArray.from_pairs(list(src), kind=kind, align=None)
    r = kzalloc(dma_buf_ranges_v2, gfp)
    if r is None:
        return ERR_PTR(-ENOMEM)
    arr = kvmalloc_array(len(src), struct_range, gfp)
    if arr is None:
        kfree(r)
        return ERR_PTR(-ENOMEM)
    for i, (s, last) in enumerate(zip(src.starts.tolist(), src.lasts.tolist())):
        arr[i].start, arr[i].end = s, last
    r.ranges, r.nranges, r.ranges_data = arr, len(src), ranges_data
    return r


def dma_buf_ranges_v2_free(r) -> None:
    """Free the range array then the header."""
    if r is None:
        return
    kvfree(r.ranges)
    kfree(r)


def dma_buf_ranges_v2_to_ranges(r, *, kind: type[Addr] = PhysAddr) -> RangeArray:
    """The v2 container's ranges as a RangeArray."""
    n = r.nranges
    out = np.zeros(n, dtype=RANGE_DTYPE)
    for i in range(n):
        e = r.ranges[i]
        out[i] = (int(e.start), int(e.end) - int(e.start) + 1)
    return RangeArray(out, kind=kind)


# ------------------------------------------------------------ mapping-types-2026-02 phys list
def dma_buf_phys_list_alloc(n: int, gfp: int = GFP_KERNEL):
    """``kvzalloc(struct_size(list, phys, n))``; None on failure or when the
    size exceeds kvmalloc's INT_MAX limit."""
    n = int(n)
    size = _fp.struct_size(_fp.sizeof_dma_buf_phys_list_header, _fp.sizeof_phys_vec, n)
    if size > INT_MAX:
        return None
    lst = kvzalloc(dma_buf_phys_list, gfp)
    if lst is None:
        return None
    a = allocation_of(lst)
    a.size = size
    a.what = f"struct dma_buf_phys_list + {n} x dma_buf_phys_vec"
    lst.phys = KArray(n, elem=phys_vec, alloc=a)
    return lst


def dma_buf_phys_list_from_ranges(src, gfp: int = GFP_KERNEL, *, kind: type[Addr] = PhysAddr):
    """A filled phys list (``length`` = number of entries); ERR_PTR(-ENOMEM) on failure."""
    if not isinstance(src, RangeArray):
        src = RangeArray.from_pairs(list(src), kind=kind, align=None)
    lst = dma_buf_phys_list_alloc(len(src), gfp)
    if lst is None:
        return ERR_PTR(-ENOMEM)
    lst.length = len(src)
    phys_vec_fill(lst.phys, src)
    return lst


def dma_buf_phys_list_free(lst) -> None:
    """``kvfree`` of the whole list (header and entries together)."""
    kvfree(lst)


def dma_buf_phys_list_to_ranges(lst, *, kind: type[Addr] | None = None) -> RangeArray:
    """The list's entries as a RangeArray."""
    return phys_vec_array_to_ranges(lst.phys, lst.length, kind=kind)
