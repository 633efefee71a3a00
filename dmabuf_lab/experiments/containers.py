"""Bytes each proposed container costs for ``n`` ranges (x86-64, allocator rounding).

The sizes come from :mod:`dmabuf_lab.addr.footprint`; this module only names
the containers as the thread does and lays the numbers out as rows.  An
iterator allocates nothing of its own (it walks the exporter's list), so it
costs 0 bytes here; ``None`` means the allocation cannot succeed.
"""
from __future__ import annotations

import polars as pl

from dmabuf_lab.addr import footprint

CONTAINERS = {
    "sg_table (mainline-6.19, per-range entries)":
        lambda n: footprint.sg_table_bytes(n, header=footprint.sizeof_dma_buf_dma),
    "xarray of ranges (RFC v1)": footprint.xarray_ranges_bytes,
    "flat phys_vec array": footprint.phys_vec_array_bytes,
    "dma_buf_mapping (RFC v2)": footprint.dma_buf_mapping_bytes,
    "phys list (2026 RFC)": footprint.phys_list_bytes,
    "iterator (no container)": lambda n: 0,
}
SHORT = dict(zip(CONTAINERS, ["sg_table", "xarray", "phys_vec", "mapping", "phys_list", "iter"]))


def container_footprint(ranges: int) -> list[dict]:
    """One row per container for ``ranges`` ranges: bytes and bytes per range."""
    rows = []
    for name, fn in CONTAINERS.items():
        b = fn(int(ranges))
        rows.append({"container": name, "bytes": b,
                     "bytes_per_range": None if b is None else b / int(ranges)})
    return rows


def container_footprints(sizes) -> pl.DataFrame:
    """``container_footprint`` for every size, as one frame (long form)."""
    return pl.DataFrame([{"ranges": n, **row} for n in sizes for row in container_footprint(n)],
                        schema_overrides={"bytes": pl.Int64, "bytes_per_range": pl.Float64})
