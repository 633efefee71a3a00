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
# # Page tables: which page sizes, how much table memory, and what the RFC's orders do to them
#
# Whatever container carries the addresses, the importer ends up writing
# page-table entries: an IOMMU for a NIC, the xe PPGTT for the PF, an RDMA
# NIC's own translation table.  How many entries it writes, and how many
# 4 KiB table pages it allocates, depends on the page sizes the format
# offers and on how well the buffer's addresses line up with them.
#
# `dmabuf_lab.kernels.page_table.build_page_table(ranges, fmt)` cuts each
# `(va, oa, size)` range into leaves with the kernel's page-size rule and
# counts leaf entries per level and table pages per level.  This notebook
# runs it on buffers from the `xe-sriov-8vf` preset and on the worked
# examples of the page-size helpers.

# %% [markdown] tags=["answer"]
# Page-table memory is not the problem: a VF's LMEM as provisioned needs a
# few hundred leaf entries and a few KiB of tables, and stays small even
# when the quota is scattered in 2 MiB blocks.  The RFC's orders are the
# problem: mapped back to back, the overstated segments add leaf entries,
# map pages outside the buffer (with 2 MiB blocks, some of another VF's
# LMEM), and shift every later segment, so almost every page of the
# buffer's VA span points at the wrong DPA.  For RDMA, the page size
# `ib_umem_find_best_pgsz()` picks depends on whether touching entries
# merge (commit 486055f5e09d): whatever replaces the sg_table must let the
# importer see that entries touch.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
rfc_ranges = 20_000        # random ranges of one VF's BAR for the RFC-vs-exact tables
rfc_max_pages = 64         # their longest length, in 4 KiB pages
scaling_sizes = [1_000, 10_000, 100_000, 300_000, 1_000_000]
fit_from = 100_000         # fit the growth slope from this many ranges up
scaling_formats = ["x86-64-4level", "amd-v1", "arm-lpae-4k", "xe-ppgtt"]
seed = 0
backend = "auto"           # auto, numba or reference for the table summaries
min_time = 0.2             # seconds of repeated calls behind each timing (best one kept)

# %%
if small:
    min_time = 0.01
    rfc_ranges = 500
    scaling_sizes = [1_000, 10_000]
    scaling_formats = ["x86-64-4level", "xe-ppgtt"]

import os

from dmabuf_lab.experiments.notebook_setup import passive_omp_wait, say, span

passive_omp_wait()   # before the first parallel kernel runs in this process

import altair as alt
import polars as pl
from IPython.display import display

from dmabuf_lab.experiments import page_tables as P
from dmabuf_lab.experiments.translation import growth, xe_topology
from dmabuf_lab.figures import render_heatmap, render_lines, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.kernels.pt_formats import FORMATS


topo = xe_topology()

# %% [markdown]
# ## The formats
#
# Every format here allocates its tables in 4 KiB pages.  They differ in
# depth and in the leaf sizes they accept: x86-64 and VT-d offer 4K, 2M and
# 1G; AMD v1 accepts any power of two from 4K (except 512G) and writes a
# page larger than its level's entry as a run of identical entries; ARM
# LPAE adds 64K and 32M through the contiguous hint (16 entries); Xe adds
# 64K through compact level-0 tables or PS64 hints and allows 2M/1G only
# where the range covers the whole entry.

# %%
formats = pl.DataFrame([{"format": f.name, "levels": f.levels, "va_bits": f.va_bits,
                         "leaf_sizes": " ".join(P.size_name(1 << b) for b in range(64)
                                                if f.pgsize_bitmap >> b & 1 and b < 34)
                         + (" ..." if f.pgsize_bitmap >> 34 else ""),
                         "notes": f.description} for f in FORMATS.values()])
formats.select("format", "levels", "va_bits", "leaf_sizes")

# %% [markdown]
# ## One range, step by step: `iommu_pgsize` on `test_mixed`
#
# `__iommu_map()` calls `iommu_pgsize()` repeatedly: take the largest
# supported size that fits both the remaining length and the alignment of
# `iova | paddr`, and stop early where a larger size becomes usable.  The
# generic_pt KUnit case `test_mixed` (iova = paddr = 0x3fe400000,
# 0xC2200000 bytes, x86 sizes 4K/2M/1G) needs 2M pages up to the first 1 GiB
# boundary, 1G pages through the middle and 2M pages for the tail.

# %%
steps = P.iommu_pgsize_steps()
steps

# %%
strip = steps.with_columns(
    (pl.col("count").cum_sum() - pl.col("count")).alias("first_entry"), pl.col("count").cum_sum().alias("end_entry"),
    (pl.col("pgsize") + " x " + pl.col("count").cast(pl.Utf8)).alias("label"))
strip_chart = (
    alt.Chart(strip)
    .mark_bar(stroke="white", height=40)
    .encode(x=alt.X("first_entry:Q", title="leaf entries, in mapping order"), x2="end_entry:Q",
            color=alt.Color("pgsize:N", title="page size", scale=alt.Scale(domain=["2M", "1G"])),
            tooltip=["step", "iova", "pgsize", "count", "bytes"])
    + alt.Chart(strip).mark_text(dy=-30, fontSize=11).encode(
        x=alt.X("mid:Q"), text="label:N").transform_calculate(mid="(datum.first_entry + datum.end_entry) / 2")
).properties(width=560, height=90, title="iommu_pgsize() steps over test_mixed (x86: 4K|2M|1G)")
save_figure(strip_chart, strip.select("step", "iova", "pgsize", "count", "bytes", "first_entry", "end_entry"),
            name="test_mixed_steps", caption="iommu_pgsize() steps over generic_pt's test_mixed range",
            text=render_table(steps))

# %%
agree = P.pgsize_agreement()
say("`build_page_table` walks the range with generic_pt's `pt_compute_best_pgsize()` instead; the leaves "
    "it writes: " + ", ".join(f"{r['pgsize']} x {r['build_page_table']}" for r in agree.to_dicts())
    + f" -- {'the same as' if agree['iommu_pgsize'].to_list() == agree['build_page_table'].to_list() else 'NOT the same as'}"
    f" the `iommu_pgsize` loop ({agree['iommu_pgsize'].sum()} entries in all).")

# %% [markdown]
# ## Table memory for realistic buffers
#
# Four buffers, each mapped at a 1 GiB-aligned VA:
#
# * **VF LMEM (preset)** -- VF 1's whole LMEM object, block by block, as
#   the PF binds it after importing the VF's BAR: the preset's buddy blocks
#   (2 GiB, 512 MiB, 4 MiB, 2 MiB);
# * **VF LMEM, 2M blocks** -- the same quota as scattered 2 MiB blocks, the
#   most fragmented layout the PF's 2 MiB rounding allows;
# * **4 GiB VF BAR slice** -- VF 1's whole LMEM BAR as one range, as an
#   IOMMU maps it for a peer;
# * **test_mixed** -- the worked example above.

# %%
bufs = P.buffers(topo, vf=1, seed=seed)
mem = P.table_memory(bufs, backend=backend)
mem.select("buffer", "format", "ranges", "leaf_entries", "table_pages", "table_bytes", "leaves")

# %%
mem_plot = mem.with_columns((pl.col("table_bytes") / 1024).alias("table_kib"))
mem_chart = (
    alt.Chart(mem_plot)
    .mark_bar()
    .encode(x=alt.X("table_kib:Q", title="page-table memory (KiB)"),
            y=alt.Y("format:N", title=None, sort=list(P.PT_FORMATS)),
            color=alt.Color("format:N", legend=None),
            tooltip=["buffer", "format", "leaf_entries", "table_pages", "table_bytes", "leaves"])
    .properties(width=200, height=150)
    .facet(facet=alt.Facet("buffer:N", title=None, sort=list(bufs)), columns=2)
    .properties(title="Page-table memory per format and buffer")
)
save_figure(mem_chart, mem_plot, name="table_memory",
            caption="Page-table KiB (4 KiB table pages) per format and buffer",
            text=render_heatmap(mem_plot.with_columns(pl.col("table_kib").cast(pl.Int64)),
                                "format", "buffer", "table_kib")
            + "\n\nKiB of table pages; leaves per buffer and format:\n\n"
            + render_table(mem.select("buffer", "format", "leaves"), max_rows=40))

# %%
leaves = P.leaf_sizes(bufs, backend=backend)
mix = leaves.filter(pl.col("buffer") == "VF LMEM (preset)").with_columns(
    (pl.col("bytes") / 2**20).alias("MiB"))
mix_chart = (
    alt.Chart(mix)
    .mark_bar()
    .encode(x=alt.X("MiB:Q", title="MiB mapped", stack="zero"),
            y=alt.Y("format:N", title=None, sort=list(P.PT_FORMATS)),
            color=alt.Color("page:N", title="leaf size",
                            sort=alt.EncodingSortField("page_bytes", order="ascending")),
            order=alt.Order("page_bytes:Q"),
            tooltip=["format", "page", "pages", "bytes"])
    .properties(width=480, height=170, title="VF 1 LMEM (preset): bytes mapped by each leaf size")
)
save_figure(mix_chart, mix, name="leaf_mix", caption="VF 1 LMEM (preset blocks): leaves by size, per format",
            text=render_table(mix.select("format", "page", "pages", "MiB")))

# %%
m = {(r["buffer"], r["format"]): r for r in mem.to_dicts()}
pre, frag = m[("VF LMEM (preset)", "xe-ppgtt")], m[("VF LMEM, 2M blocks", "xe-ppgtt")]
bar4, bar5 = m[("4 GiB VF BAR slice", "x86-64-4level")], m[("4 GiB VF BAR slice", "x86-64-5level")]
amd = m[("VF LMEM (preset)", "amd-v1")]
say(f"* VF 1's LMEM as provisioned needs **{pre['leaf_entries']} leaf entries** in the Xe PPGTT "
    f"({pre['leaves']}) and {pre['table_bytes'] // 1024} KiB of tables.  Scattered in 2 MiB blocks, the same "
    f"{pre['bytes_mapped'] / 2**30:.2f} GiB takes {frag['leaf_entries']} entries ({frag['leaves']}) and "
    f"{frag['table_bytes'] // 1024} KiB: the LMTT's 2 MiB granule is the floor, and even at the floor the "
    "table stays tiny.\n"
    f"* A 1 GiB-aligned 4 GiB BAR slice is {bar4['leaves']}: {bar4['table_bytes'] // 1024} KiB of tables "
    f"with 4 levels, {bar5['table_bytes'] // 1024} KiB with 5.\n"
    f"* AMD v1 maps each preset block with one page of its own size ({amd['leaves']}) but writes it as "
    f"{amd['leaf_entries']} replicated entries, and its 6 levels cost {amd['table_bytes'] // 1024} KiB.")

# %% [markdown]
# ## RFC orders vs exact segments in a page table
#
# The RFC hands the PF one `drm_pagemap_addr` per range: the DPA of the
# range's start and `order = get_order(len)`.  An importer that maps what it
# was given maps `PAGE_SIZE << order` bytes per entry, back to back in its
# VA.  Below, one exported buffer -- `rfc_ranges` disjoint ranges of VF 1's
# BAR, 1 to `rfc_max_pages` pages each, with gaps between them -- is
# translated both ways and fed to an Xe PPGTT: the RFC's segments, and the
# exact segments of the correct translator.  It is done twice: with VF 1's
# LMEM as the preset provisions it, and with the same quota in scattered
# 2 MiB blocks.
#
# Counted per 4 KiB page: pages the RFC's table maps that are not part of
# the buffer (and how many of those hold another VF's LMEM), buffer pages it
# never maps, and pages of the buffer's VA span that point at a different
# DPA than they should.

# %%
from dmabuf_lab.experiments.translation import buffer_ranges, two_mib_variant

starts, lengths = buffer_ranges(rfc_ranges, topo, vf=1, seed=seed + 7, max_pages=rfc_max_pages)
layouts = {"preset blocks": topo, "2 MiB blocks": two_mib_variant(topo, seed)}
rv = {name: P.rfc_vs_correct(starts, lengths, t, fmt="xe-ppgtt", backend=backend) for name, t in layouts.items()}
pl.concat([r["summary"].with_columns(layout=pl.lit(name)) for name, r in rv.items()]).select(
    "layout", "behaviour", "segments", "bytes_mapped", "leaf_entries", "table_bytes")

# %%
WHAT = [("buffer_pages", "pages of the buffer"), ("rfc_pages", "pages the RFC table maps"),
        ("pages_outside_buffer", "mapped, not in the buffer"),
        ("pages_in_other_vfs_lmem", "mapped, another VF's LMEM"),
        ("buffer_pages_unmapped", "buffer pages never mapped"),
        ("wrong_pages_in_buffer_va", "buffer VA pages at wrong DPA")]
kinds = pl.DataFrame([{"layout": name, "what": label, "pages": int(r["pages"][key][0])}
                      for name, r in rv.items() for key, label in WHAT])
order = [label for _, label in WHAT]
bars = alt.Chart(kinds).encode(y=alt.Y("what:N", title=None, sort=order))
rfc_chart = (
    (bars.mark_bar().encode(
        x=alt.X("pages:Q", title="4 KiB pages"),
        color=alt.condition(alt.datum.what == "pages of the buffer", alt.value("#8fbc8f"), alt.value("#d9736b")),
        tooltip=["layout", "what", "pages"])
     + bars.mark_text(align="left", dx=3, fontSize=10).encode(x="pages:Q", text=alt.Text("pages:Q", format=",")))
    .properties(width=250, height=170)
    .facet(column=alt.Column("layout:N", title=None, sort=list(layouts)))
    .properties(title=f"Xe PPGTT fed the RFC's get_order segments ({rfc_ranges:,} ranges of VF 1)")
)
save_figure(rfc_chart, kinds, name="rfc_orders", caption="RFC get_order segments vs exact ones in an Xe PPGTT, per page",
            text=render_heatmap(kinds, "what", "layout", "pages") + "\n\n"
            + render_table(pl.concat([r["summary"].with_columns(layout=pl.lit(name)) for name, r in rv.items()])
                           .select("layout", "behaviour", "leaf_entries", "table_bytes")))

# %%
lines = []
for name, r in rv.items():
    s = {x["behaviour"]: x for x in r["summary"].to_dicts()}
    p = r["pages"].row(0, named=True)
    r_, e_ = s["RFC (get_order segments)"], s["exact segments"]
    lines.append(
        f"* **{name}**: from {p['ranges']:,} ranges holding {p['buffer_pages']:,} pages, the RFC's table writes "
        f"{r_['leaf_entries']:,} leaf entries where {e_['leaf_entries']:,} are needed "
        f"({r_['leaf_entries'] - e_['leaf_entries']:+,}; {r_['table_bytes'] // 1024:,} vs "
        f"{e_['table_bytes'] // 1024:,} KiB of tables).  {p['pages_outside_buffer']:,} mapped pages are not part "
        f"of the buffer, {p['pages_in_other_vfs_lmem']:,} of them another VF's LMEM; "
        f"{p['buffer_pages_unmapped']:,} buffer pages get no entry; {p['wrong_pages_in_buffer_va']:,} of the "
        f"{p['buffer_pages']:,} pages in the buffer's VA span point at the wrong DPA.")
say("\n".join(lines))

# %% [markdown]
# The extra pages come from `get_order` rounding up.  A claimed tail can
# land inside the next range of the same buffer (the gaps are small), so
# not every extra page is outside the buffer.  Pages a range owns in
# another block -- and VRAM owned by another VF -- appear once ranges cross
# block boundaries, which the 2 MiB layout makes common.  Because each
# overstated segment pushes the next one along in VA, almost every page of
# the buffer's VA span ends up at the wrong DPA: the importer's view of the
# buffer is wrong from the first overstated range on.

# %% [markdown]
# ## RDMA: `ib_umem_find_best_pgsz` before and after the fix
#
# An RDMA NIC uses one page size per memory region and must see the whole
# DMA list to choose it.  Before commit 486055f5e09d every SG entry boundary
# limited the page size; after it, physically contiguous entries merge into
# runs and only real discontinuities count.  The example from
# docs/sources.md: 16 GiB, physically contiguous from 0x344_0140_0000, cut
# into four entries of 4 GiB - 4 KiB and one of 16 KiB, any page size from
# 4K to 512G, IOVA 0.

# %%
umem = P.ib_umem_example()
umem

# %%
umem_chart = (
    alt.Chart(umem)
    .mark_bar()
    .encode(x=alt.X("mtt_entries:Q", scale=alt.Scale(type="log", domainMin=1),
                    title="NIC translation entries (log)"),
            x2="one:Q",  # a bar on a log axis needs a start above 0
            y=alt.Y("variant:N", title=None),
            color=alt.Color("page:N", title="page size"),
            tooltip=["variant", "page", "mtt_entries", "mtt_bytes"])
    .transform_calculate(one="1")
    + alt.Chart(umem).mark_text(align="left", dx=3).encode(
        x="mtt_entries:Q", y="variant:N", text=alt.Text("mtt_entries:Q", format=","))
).properties(width=420, height=90, title="ib_umem_find_best_pgsz on a contiguous 16 GiB list")
save_figure(umem_chart, umem, name="ib_umem_16g",
            caption="ib_umem_find_best_pgsz, 16 GiB contiguous list: fixed vs pre-fix",
            text=render_table(umem.select("variant", "sg_entries", "page", "mtt_entries", "mtt_bytes")))

# %%
u = {r["variant"]: r for r in umem.to_dicts()}
say(f"The fixed version picks **{u['fixed']['page']}** pages: {u['fixed']['mtt_entries']:,} entries, "
    f"{u['fixed']['mtt_bytes'] // 1024:,} KiB at 8 bytes each.  The pre-fix version picks "
    f"{u['pre-fix']['page']}: {u['pre-fix']['mtt_entries']:,} entries, "
    f"{u['pre-fix']['mtt_bytes'] // 2**20:,} MiB -- "
    f"{u['pre-fix']['mtt_entries'] // u['fixed']['mtt_entries']:,} times as many, for the same memory.  "
    "How the exporter splits a contiguous buffer into entries must not change what the importer can do "
    "with it; whatever replaces the sg_table has to let the importer see that entries touch.")

# %% [markdown]
# ## Build time against the number of ranges
#
# Ranges of 4 to 32 KiB with small gaps, sorted by VA (the benchmark's
# shape), for each format, with the numpy reference and the numba backend,
# measured in this run.  The growth slope is fitted from `fit_from` ranges
# up, where a fixed per-call cost no longer hides the per-range cost.  The charts show nanoseconds per range (flat means
# the cost grows linearly) and the same normalised to each series' smallest
# size; `vs_reference` is the reference's time over numba's.  Timings on a
# shared 2-core machine are noisy; compare shapes, not single points.

# %%
scale = P.build_scaling(scaling_sizes, formats=scaling_formats, seed=seed, min_time=min_time)
scale.select("format", "backend", "ranges", "ns_per_range", "per_range_vs_smallest", "vs_reference")

# %%
scale_chart = (
    alt.Chart(scale)
    .mark_line(point=True)
    .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="ranges",
                    axis=alt.Axis(values=scaling_sizes, format="~s")),
            y=alt.Y("ns_per_range:Q", scale=alt.Scale(type="log"), title="ns per range"),
            color=alt.Color("format:N", title=None),
            tooltip=["format", "backend", "ranges", alt.Tooltip("ns_per_range:Q", format=".1f"),
                     alt.Tooltip("per_range_vs_smallest:Q", format=".2f"),
                     alt.Tooltip("vs_reference:Q", format=".1f")])
    .properties(width=250, height=240)
    .facet(column=alt.Column("backend:N", title=None, sort=["reference", "numba"]))
    .properties(title="build_page_table: cost per range as the range count grows")
)
slopes = growth(scale, by=("format", "backend"), min_x=fit_from)
display(save_figure(scale_chart, scale, name="build_scaling",
                    caption="build_page_table ns per range vs number of ranges (flat = linear)",
                    text=render_lines(scale.with_columns((pl.col("backend") + "/" + pl.col("format")).alias("series")),
                                      "ranges", "ns_per_range", series="series", logx=True, logy=True,
                                      xlabel="ranges", ylabel="ns per range")
                    + "\n\n" + render_table(slopes.select("format", "backend", pl.col("loglog_slope").round(2),
                                                          pl.col("per_range_ratio").round(2)))))
slopes

# %%
numba_rows = scale.filter(pl.col("backend") == "numba")
norm_chart = (
    alt.Chart(numba_rows)
    .mark_line(point=True)
    .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="ranges",
                    axis=alt.Axis(values=scaling_sizes, format="~s")),
            y=alt.Y("vs_reference:Q", scale=alt.Scale(type="log"), title="reference time / numba time (log)"),
            color=alt.Color("format:N", title=None),
            tooltip=["format", "ranges", alt.Tooltip("vs_reference:Q", format=".1f")])
    + alt.Chart(pl.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y="y:Q")
).properties(width=420, height=220, title="build_page_table: numba vs the numpy reference")
save_figure(norm_chart, numba_rows, name="build_vs_reference",
            caption="build_page_table: numba speed-up over the numpy reference, by size",
            text=render_table(scale.filter(pl.col("backend") == "numba")
                              .select("format", "ranges", pl.col("vs_reference").round(1)), max_rows=40))

# %%
big = scale.filter((pl.col("ranges") == max(scaling_sizes)) & (pl.col("backend") == "numba"))
ok = slopes.filter((pl.col("backend") == "numba") & (pl.col("from") >= fit_from) & (pl.col("sizes") >= 2))
fit = (f"From {fit_from:,} ranges up, fitted log-log slopes for numba are {span(ok['loglog_slope'])} (1.0 is "
       f"linear), and the cost per range at the largest size is {span(ok['per_range_ratio'], '.1f', 'x')} the cost "
       f"at {fit_from:,}." if ok.height
       else f"This run has too few sizes from {fit_from:,} ranges up to fit a slope.")
say(f"At {max(scaling_sizes):,} ranges numba builds a summary in "
    f"{span(big['ns_per_range'], '.1f')} ns per range depending on the "
    f"format; the numpy reference takes {span(big['vs_reference'], '.1f', 'x')} "
    f"as long.  {fit}")
load = scale["loadavg_1m"].drop_nulls()
if load.len():
    say(f"The machine's 1-minute load average during these timings was {span(load, '.1f')} on {os.cpu_count()} CPUs.  Each time is the best of repeated calls: many short calls usually include "
        "one that ran undisturbed, the few long calls at the largest sizes may not, which bends the curves "
        "upward when the machine is busy.")
