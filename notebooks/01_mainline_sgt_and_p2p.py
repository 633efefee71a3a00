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
# # Mainline: sg_tables and PCI peer-to-peer
#
# Everything later in the thread is measured against what Linux already
# does.  Since 6.19, vfio-pci can export slices of a device BAR as a
# dma-buf.  The exporter knows the slices as physical ranges; an importer
# that asks for a mapping receives an `sg_table` of DMA addresses that
# `dma_buf_phys_vec_to_sgt()` builds *for that importer*.  Which addresses
# those are depends only on how the importer reaches the BAR through the
# PCI fabric:
#
# * **behind the same switch** -- PCI bus addresses, no IOMMU involved;
# * **through the host bridge** -- the IOMMU maps the slices into one
#   contiguous IOVA span;
# * **through a host bridge not known to forward P2P** -- no mapping at all.
#
# The lab runs the real sequence -- export, dynamic attach with
# `allow_peer2peer`, map, unmap, detach -- on three topology presets, once as
# merged and once with the lab's fixes applied.

# %% [markdown] tags=["answer"]
# Mainline's answer depends only on the path between the devices: behind one
# switch the importer gets PCI bus addresses, one sg entry per slice; through
# the host bridge the IOMMU maps all slices into one IOVA span (one entry per
# 4 GiB); through a host bridge not known to forward P2P it gets nothing
# (-EINVAL).  The 6.19 helper `dma_buf_phys_vec_to_sgt()` as merged has two
# bugs the lab finds: every map/unmap cycle leaks the scatterlist
# (`orig_nents` is left 0), and through the host bridge every slice is
# linked at IOVA offset 0, so a second slice cannot be mapped.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
slice_counts = [1, 4, 16, 64, 256, 1024, 2048]
slice_len_mib = 4          # each slice of BAR 2, MiB
stride_mib = 8             # distance between slice starts, MiB

# %%
if small:
    slice_counts = [1, 4, 16]

import altair as alt
import polars as pl

from dmabuf_lab.experiments.p2p_cases import CASES, GiB, MiB, entry_counts, p2p_cases
from dmabuf_lab.figures import render_heatmap, render_lines, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.hw import load_topology

for preset, (gpu, nic) in CASES.items():
    topo = load_topology(preset)
    print(f"{preset:28} exporter {topo.device(gpu).name} ({gpu}) -> importer {topo.device(nic).name} ({nic})")

# %% [markdown]
# ## Three topologies, two slices
#
# Two slices of the GPU's BAR 2 (2 MiB at offset 0 and 4 MiB at 64 MiB) are
# exported and mapped for the NIC.

# %%
cases = p2p_cases([(0, 2 * MiB), (64 * MiB, 4 * MiB)])
cases.select("topology", "variant", "map_type", "distance", "outcome", "sg_entries",
             "iommu_map_calls", "findings")

# %% [markdown]
# Reading the table:
#
# * Behind a switch the NIC gets bus addresses, one entry per slice, and the
#   IOMMU is never touched.  As merged, the unmap path leaves the
#   scatterlist allocated: `dma_buf_phys_vec_to_sgt()` sets `orig_nents` to
#   0, and `sg_free_table()` frees what `orig_nents` says -- the model
#   records a **leak** for every map/unmap cycle.
# * Through the host bridge the merged code links *every* slice at offset 0
#   of the IOVA span, so the second slice collides with the first and the
#   map fails.  With one slice it works; with the offsets advanced it
#   produces one entry covering both slices.
# * When the host bridge is not on the P2P list, the distance is -1 and the
#   map type `NOT_SUPPORTED`: the helper returns -EINVAL, in both variants.

# %%
heat = cases.with_columns(pl.col("findings").list.join(",").alias("findings_text"))
outcome_chart = (
    alt.Chart(heat)
    .mark_rect(stroke="white")
    .encode(x=alt.X("variant:N", title=None), y=alt.Y("topology:N", title=None),
            color=alt.Color("outcome:N", scale=alt.Scale(scheme="set2")),
            tooltip=["topology", "variant", "map_type", "outcome", "sg_entries", "findings_text"])
    .properties(width=260, height=150, title="Map outcome for two BAR slices")
)
labels = outcome_chart.mark_text(fontSize=11).encode(text="outcome:N", color=alt.value("black"))
save_figure(outcome_chart + labels, heat.drop("findings"), name="p2p_outcomes",
            caption="vfio-pci BAR slices mapped for a NIC, per topology (mainline-6.19)",
            text=render_heatmap(heat.with_columns(
                (pl.col("outcome") + pl.when(pl.col("findings_text") != "")
                 .then(" +" + pl.col("findings_text")).otherwise(pl.lit(""))).alias("cell")),
                "topology", "variant", "cell"))

# %% [markdown]
# ## How many sg entries?
#
# An sg entry's DMA length is an `unsigned int`, so each entry covers at
# most `UINT_MAX` bytes.  Without an IOVA span every slice needs its own
# entries; with one span the whole buffer is a single run of addresses and
# needs only `ceil(total / UINT_MAX)` entries.  Below, `n` slices of
# 4 MiB, spaced 8 MiB apart, mapped with the fixed helper.

# %%
counts = entry_counts(slice_counts, range_len=slice_len_mib * MiB, stride=stride_mib * MiB)
counts = counts.with_columns(pl.col("map_type").alias("path"))
entries_chart = (
    alt.Chart(counts)
    .mark_line(point=True)
    .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="slices exported"),
            y=alt.Y("sg_entries:Q", scale=alt.Scale(type="log"), title="sg entries the importer gets"),
            color=alt.Color("path:N", title="P2P path"),
            tooltip=["topology", "ranges", "bytes", "sg_entries"])
    .properties(width=480, height=260, title="sg entries per mapping, bus addresses vs one IOVA span")
)
save_figure(entries_chart, counts.drop("findings"), name="sg_entries",
            caption="sg entries for n 4 MiB BAR slices: bus addresses vs IOVA span",
            text=render_lines(counts, "ranges", "sg_entries", series="path", logx=True, logy=True,
                              xlabel="slices exported", ylabel="sg entries"))

# %%
print(render_table(counts.select("path", "ranges", "bytes", "sg_entries")))

# %% [markdown]
# With bus addresses the importer's list grows with the number of slices;
# through the IOMMU it stays at one entry until the buffer passes 4 GiB.
# That is the baseline later designs are compared with: they change the
# *container* and *who maps*, but an importer that can only use DMA
# addresses still ends up with one of these two shapes.
#
# Slices larger than 4 GiB show the `UINT_MAX` split directly:

# %%
big = p2p_cases([(0, 5 * GiB), (6 * GiB, 8 * GiB), (15 * GiB, 2 * MiB)])
big.filter(pl.col("variant") == "fixed").select("topology", "map_type", "ranges", "bytes", "outcome",
                                                 "sg_entries")

# %% [markdown]
# ## Linux 6.19 next to v7.3-rc6
#
# Plain `mainline` in the lab is now the newest release it models, v7.3-rc6;
# `mainline-6.19` keeps the release this notebook started from, and
# `mainline-7.1` and `mainline-7.2` sit between, each a patch over the one
# before.  Between 6.19 and 7.3-rc6: Leon Romanovsky's revoke series (`move_notify` renamed
# `invalidate_mappings`, move-notify always built, vfio accepting only
# revocable importers and waiting until they have unmapped,
# 1a8a5227f229), the export double free e98137f0a874 (CVE-2026-31468), and
# the two `dma_buf_phys_vec_to_sgt()` fixes 06dd5e1ae8ce (page-aligned
# entries) and b344ca94e8cc (`size_t mapped_len`), both first in 7.3 (so 7.1 and 7.2 still wrap
past 4 GiB).  Still there in 7.3-rc6:
# `orig_nents = 0`, so every unmap leaks the scatterlist chunk, and offset
# 0 for every `dma_iova_link()`.  Every scenario that checks both versions,
# the changed ones first:

# %%
from dmabuf_lab.experiments.mainline_versions import side_by_side

versions = side_by_side()
print(f"{versions.filter(pl.col('changed')).height} of {versions.height} scenarios differ between "
      f"6.19 and 7.3-rc6")
versions.select("scenario", "mainline-6.19", "mainline-7.3-rc6", "changed")

# %% [markdown]
# The same scenarios release by release (6.19, 7.1, 7.2, 7.3-rc6), the ones
# where any two releases differ:

# %%
from dmabuf_lab.experiments.mainline_versions import releases_side_by_side

releases_side_by_side().filter(pl.col("changed"))
