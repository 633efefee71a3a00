# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # RFC v1 review: which container should carry the addresses?
#
# RFC v1 handed the importer a `struct dma_buf_ranges`: an xarray whose
# entries point at `struct range {start, end}` records.  The review pulled
# in three directions:
#
# * Christian König: an xarray can only store pointers, so every range
#   costs an extra object; a first/next **iterator** over the exporter's own
#   list would avoid building any container at all.
# * Jason Gunthorpe: an RDMA device must know the **whole list** before it
#   can size its hardware page table, so an iterator forces it to walk the
#   list twice; a **flat array** allocated with `kvmalloc` is simplest.
# * Mainline keeps the `sg_table`, which also stores DMA lengths, flags and
#   chain links.
#
# This notebook puts numbers on both halves of the argument: how many bytes
# each container costs for `n` ranges (from the x86-64 struct sizes and the
# allocator's rounding in `dmabuf_lab.addr.footprint`), and how many passes
# over the list each kind of importer makes.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
sizes = [1, 8, 64, 512, 4096, 32768, 262144, 1048576]
walk_ranges = 4096         # list length for the iterator experiment

# %%
if small:
    sizes = [1, 64, 4096]
    walk_ranges = 256

import altair as alt
import polars as pl

from dmabuf_lab.addr import (SZ_2M, RangeArray, consume_sized, consume_streaming, dma_buf_range_iter,
                             phys_vec_array_from_ranges)
from dmabuf_lab.experiments.containers import SHORT, container_footprints
from dmabuf_lab.figures import render_table, save_figure
from dmabuf_lab.kmodel import Kernel, kvfree

# %% [markdown]
# ## Bytes per container
#
# `container_footprints` counts what the allocations really take,
# including slab size classes, whole pages for vmalloc and the xarray's
# 576-byte nodes.  `None` means the allocation cannot succeed at all (RFC v1 fills
# its ranges from one `kmalloc_array`, which is capped at 4 MiB).  The
# iterator allocates nothing of its own: it walks the exporter's existing
# list, so its cost is zero here and shows up as time instead.

# %%
fp = container_footprints(sizes)
wide = (fp.pivot(on="container", index="ranges", values="bytes")
        .rename(SHORT))
wide

# %%
plotted = fp.filter(pl.col("bytes").is_not_null() & (pl.col("bytes") > 0))
chart = (
    alt.Chart(plotted)
    .mark_line(point=True)
    .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="ranges in the buffer"),
            y=alt.Y("bytes_per_range:Q", scale=alt.Scale(type="log"), title="bytes per range"),
            color=alt.Color("container:N", title=None),
            tooltip=["container", "ranges", "bytes", alt.Tooltip("bytes_per_range:Q", format=".1f")])
    .properties(width=520, height=300, title="Memory per range, by container")
)
save_figure(chart, fp, name="footprint",
            caption="Bytes to hold n ranges, per container (x86-64, with allocator rounding)",
            text=render_table(wide.drop("iter")) + "\n\niterator: 0 bytes (walks the exporter's list)")

# %% [markdown]
# What the numbers say:
#
# * A flat array costs 16 bytes per range plus rounding -- the floor.
#   The RFC v2 and 2026 RFC containers are that array with a small header.
# * The sg_table costs 32 bytes per entry, twice the flat array, and each
#   4 KiB chunk gives one slot to the chain link.
# * The xarray of ranges costs about 25 bytes per range: the 16-byte
#   `struct range` plus an 8-byte slot in a 576-byte node for every 64
#   entries, and it stops working entirely past 262,144 ranges because the
#   `struct range` storage comes from a single `kmalloc_array`.

# %% [markdown]
# ## The whole-list argument
#
# An importer that maps fragment by fragment (an IOMMU, a GPU page-table
# walker) can consume an iterator in one pass.  An RDMA NIC programs a
# memory region whose translation table must be sized first, so it counts
# the entries, allocates, and walks again.  The lab's iterator counts the
# walks it is asked for.

# %%
ranges = RangeArray.from_pairs([(i * 2 * SZ_2M, SZ_2M) for i in range(walk_ranges)])
walks = []
with Kernel() as k:
    exported = phys_vec_array_from_ranges(ranges)
    for importer, consume in (("streaming (IOMMU, GPU)", consume_streaming),
                              ("sized first (RDMA MR)", consume_sized)):
        it = dma_buf_range_iter(exported)
        got = consume(it)
        assert len(got) == walk_ranges
        walks.append({"importer": importer, "container": "iterator", "passes": it.walks,
                      "entries_visited": it.steps})
        walks.append({"importer": importer, "container": "flat array", "passes": 1,
                      "entries_visited": walk_ranges})
    kvfree(exported)
assert not k.findings, k.findings
walks = pl.DataFrame(walks)
walks

# %% [markdown]
# The flat-array rows need no experiment: the importer reads `nents`
# directly and then visits each entry once, whatever it does with them.

# %%
walk_chart = (
    alt.Chart(walks)
    .mark_bar()
    .encode(x=alt.X("entries_visited:Q", title=f"entries visited for {walk_ranges} ranges"),
            y=alt.Y("importer:N", title=None),
            color=alt.Color("container:N"), yOffset="container:N",
            tooltip=["importer", "container", "passes", "entries_visited"])
    .properties(width=460, height=160, title="List walks per importer style")
)
save_figure(walk_chart, walks, name="list_walks",
            caption=f"Entries visited to import {walk_ranges} ranges: iterator vs flat array",
            text=render_table(walks))

# %% [markdown]
# For an RDMA importer the iterator doubles the walks, and every step of
# every walk is an indirect call into the exporter.  For streaming
# importers the two are equal in passes.  Per-entry *time* for each container comes from the bulk
# kernels and is measured in the translation notebook.
