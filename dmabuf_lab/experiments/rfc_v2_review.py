"""RFC v2 (rfc-v2, the RFC v2 1/8 thread (2025-10-26)) as frames: the container, who frees it, and the typed ops.

* :func:`container_costs` builds RFC v1's xarray of ranges and the flat RFC v2
  candidates for ``n`` ranges inside the kernel-runtime model and reports
  what was allocated (count and requested bytes, measured) beside the
  footprint the allocator would really use (computed, with slab/vmalloc
  rounding, from :mod:`dmabuf_lab.addr.footprint`).
* :func:`release_paths` shows what "``map`` with no unmap" leaves to the
  importer: the ways it can let go of a ``dma_buf_mapping`` and what the
  checker says about each.
* :func:`container_of_cases` reaches the IOV ops from the common part the
  attachment stores, once correctly and once from a common part that is
  embedded in something else.
"""
from __future__ import annotations

from typing import Iterable

import polars as pl

from dmabuf_lab.addr import footprint as fp
from dmabuf_lab.addr.phys_vec_array import (dma_buf_mapping_free, dma_buf_mapping_from_ranges,
                                            dma_buf_ranges_v2_free, dma_buf_ranges_v2_from_ranges,
                                            phys_vec_array_from_ranges)
from dmabuf_lab.addr.xarray_ranges import xarray_ranges_free, xarray_ranges_from_ranges
from dmabuf_lab.kmodel import Kernel, kfree, kvfree
from dmabuf_lab.revisions import rfc_v2 as v2
from dmabuf_lab.revisions.base import Oops

SZ_2M = 2 << 20

#: container label -> (build(ranges), free(obj), computed footprint(n))
CONTAINERS = {
    "xarray of struct range (RFC v1)": (xarray_ranges_from_ranges, xarray_ranges_free, fp.xarray_ranges_bytes),
    "dma_buf_mapping {phys, nents, map_data}": (dma_buf_mapping_from_ranges, dma_buf_mapping_free,
                                                fp.dma_buf_mapping_bytes),
    "dma_buf_ranges {ranges, nranges, ranges_data}": (dma_buf_ranges_v2_from_ranges, dma_buf_ranges_v2_free,
                                                      fp.dma_buf_ranges_v2_bytes),
    "flat phys_vec array": (phys_vec_array_from_ranges, kvfree, fp.phys_vec_array_bytes),
}
SHORT = dict(zip(CONTAINERS, ["xarray (v1)", "dma_buf_mapping (v2)", "dma_buf_ranges (v2)", "phys_vec[]"]))


def _ranges(n: int) -> list[tuple[int, int]]:
    """``n`` 2 MiB ranges with 2 MiB holes between them (nothing merges)."""
    return [(0x40_0000_0000 + 2 * i * SZ_2M, SZ_2M) for i in range(n)]


def container_costs(sizes: Iterable[int]) -> pl.DataFrame:
    """Allocations made to hold ``n`` ranges, measured in the model, and the computed footprint.

    Columns: container, short, ranges, allocations, requested_bytes (what
    the code asked the allocators for), footprint_bytes (with the
    allocators' rounding; null when the allocation cannot succeed),
    footprint_per_range, findings (after freeing: should be empty).
    """
    rows = []
    for n in sizes:
        n = int(n)
        for name, (build, free, footprint) in CONTAINERS.items():
            computed = footprint(n)
            with Kernel() as k:
                before = k.nr_allocs
                obj = build(_ranges(n)) if computed is not None else None
                live = k.live_allocations()
                allocs = k.nr_allocs - before
                requested = sum(a.size or 0 for a in live)
                if obj is not None:
                    free(obj)
            rows.append({"container": name, "short": SHORT[name], "ranges": n,
                         "allocations": allocs if computed is not None else None,
                         "requested_bytes": requested if computed is not None else None,
                         "footprint_bytes": computed,
                         "footprint_per_range": None if computed is None else computed / n,
                         "findings": ",".join(sorted({f.kind for f in k.findings}))})
    return pl.DataFrame(rows, schema_overrides={"allocations": pl.Int64, "requested_bytes": pl.Int64,
                                                "footprint_bytes": pl.Int64, "footprint_per_range": pl.Float64})


def _free_array_only(m) -> None:
    kvfree(m.phys)


def _kfree_both(m) -> None:
    kfree(m.phys)
    kfree(m)


def _header_only(m) -> None:
    kfree(m)


#: how an importer might let go of what ``map`` returned -> the code doing it
RELEASES = {
    "dma_buf_mapping_free(): kvfree(phys), kfree(m)": dma_buf_mapping_free,
    "kfree(m) only": _header_only,
    "kvfree(phys) only": _free_array_only,
    "kfree(phys), kfree(m)": _kfree_both,
    "nothing (forgotten)": lambda m: None,
}


def release_paths(nranges: int = 4) -> pl.DataFrame:
    """Each way of releasing a ``dma_buf_mapping`` of ``nranges`` ranges, and the findings."""
    rows = []
    for label, release in RELEASES.items():
        with Kernel() as k:
            m = dma_buf_mapping_from_ranges(_ranges(nranges))
            release(m)
        kinds = sorted({f.kind for f in k.findings})
        rows.append({"release": label, "findings": ",".join(kinds) or "clean",
                     "messages": " | ".join(f.message for f in k.findings)})
    return pl.DataFrame(rows)


def container_of_cases() -> pl.DataFrame:
    """``container_of(attach->ic_ops, struct dma_buf_iov_interconnect_ops, ic_ops)`` on two pointers."""
    embedded = v2.dma_buf_iov_interconnect_ops(ic_ops=v2.dma_buf_interconnect_ops(name="iov"), map=None)
    loose = v2.dma_buf_interconnect_ops(name="some other interconnect")
    rows = []
    for label, ptr in (("ic_ops embedded in dma_buf_iov_interconnect_ops", embedded.ic_ops),
                       ("ic_ops of another interconnect", loose)):
        try:
            outer = v2.container_of(ptr, v2.dma_buf_iov_interconnect_ops, "ic_ops")
            result = f"ok: {type(outer).__name__}"
        except Oops as exc:
            result = f"oops: {exc}"
        rows.append({"pointer": label, "result": result})
    return pl.DataFrame(rows)
