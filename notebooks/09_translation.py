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
# # VF BAR → VRAM DPA translation: what the RFC gets wrong, and what it costs
#
# When the xe PF imports a buffer that vfio-pci exports from one of its VFs'
# LMEM BAR, it receives BAR addresses and must turn them into VRAM device
# physical addresses (DPA) before it can write its own page tables.  RFC v1
# does this in `xe_bo_translate_io_xarray_to_dpa()`: `xe_find_vf_dev()`
# finds the VF whose BAR holds the range's start, `xe_bo_addr()` translates
# that start through the VF's LMEM object, and the length is encoded as
# `get_order(len)` in a `drm_pagemap_addr`.
#
# Three things differ from a correct translation:
#
# * **last page** -- the VF test is `start <= phys < start + len - PAGE_SIZE`,
#   so no VF ever owns the last page of its BAR;
# * **block crossing** -- only the start is translated, but a VF's LMEM
#   object is a list of 2 MiB-aligned VRAM blocks that need not be
#   adjacent, so the tail of a range that runs into the next block lands on
#   whatever VRAM follows the first one;
# * **order overstated** -- `get_order()` rounds up, so a range that is not a
#   power-of-two number of pages is described as a larger segment.
#
# A fourth, **overrun**, is a missing check: a range that starts inside the
# quota and runs past it is translated by the RFC and refused by a correct
# translator.
#
# The bulk kernel `dmabuf_lab.kernels.translate.translate_bar_to_dpa` runs
# both behaviours (`mode="rfc"` / `mode="correct"`) and
# `compare_translations` flags, per input range, which of the four applies.
# Everything below runs on the `xe-sriov-8vf` preset.

# %% [markdown] tags=["answer"]
# The RFC's translation (the start of each range only, the length as
# `get_order(len)`) disagrees with a correct one for most random range
# sets.  Nearly all disagreements are overstated orders, which claim more
# VRAM than the ranges hold; ranges that cross a block boundary put their
# tail on VRAM the VF may not own, which is rare with the preset's large
# blocks and common when the quota is in 2 MiB blocks; a range past the
# quota is accepted; the last page of each VF BAR is never found.  A correct
# translator is cheap: the compiled kernel runs at a good fraction of copy
# speed and its cost grows linearly with the number of ranges (this run's
# figures are below).

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
disagree_sizes = [1_000, 10_000, 100_000, 1_000_000]   # random range sets
max_pages = 4096           # longest random range, in 4 KiB pages (16 MiB)
throughput_sizes = [10_000, 100_000, 1_000_000, 4_000_000]
fit_from = 100_000         # fit the growth slope from this many ranges up
throughput_pages = 16      # ranges of 1..16 pages for the timing runs
seed = 0
backend = "auto"           # for the correctness runs: auto, numba or reference
min_time = 0.2             # seconds of repeated calls behind each timing (best one kept)

# %%
if small:
    min_time = 0.01
    disagree_sizes = [1_000, 10_000]
    throughput_sizes = [2_000, 20_000]

import os

from dmabuf_lab.experiments.notebook_setup import mib, passive_omp_wait, say, span

passive_omp_wait()   # before the first parallel kernel runs in this process

import altair as alt
import numpy as np
import polars as pl
from IPython.display import display

from dmabuf_lab.experiments import translation as T
from dmabuf_lab.experiments.page_tables import owner_vf
from dmabuf_lab.figures import render_lines, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables


topo = T.xe_topology()
two_mib = T.two_mib_variant(topo, seed)
say(f"`xe-sriov-8vf`: {topo.num_vfs} VFs, LMEM BAR windows of {topo.win_size[0] / 2**30:g} GiB from "
    f"`{int(topo.win_base[0]):#x}`, each VF's LMEM quota {mib(int(topo.quota[0]))} in "
    f"{int(topo.blk_ptr[1] - topo.blk_ptr[0])} blocks.")

# %% [markdown]
# ## The VF's LMEM object
#
# VF index 1 (PCI function 03:00.2, xe's VF config 2) as the preset
# provisions it: the PF rounded the quota to 2 MiB and the buddy allocator
# returned blocks of different sizes, scattered over VRAM.

# %%
blocks = T.vf_blocks(topo, 1).with_columns(
    pl.col("dpa").map_elements(lambda v: f"{v:#x}", return_dtype=pl.Utf8).alias("dpa_hex"),
    (pl.col("bytes") / 2**20).alias("MiB"))
blocks.select("block", "object_offset", "dpa_hex", "MiB")

# %% [markdown]
# Every boundary between two blocks is a place where the BAR is contiguous
# and VRAM is not.  The lab also builds a second layout, `two_mib_variant`:
# the same quotas cut into 2 MiB blocks placed at random -- the worst
# fragmentation the 2 MiB rounding allows.

# %% [markdown]
# ## Hand-picked ranges
#
# Each case is derived from VF 1's window and block list (nothing is
# hard-coded): the first page, ranges whose length is not a power-of-two
# number of pages, a range across the first block boundary, a range past
# the end of the quota, and the last page of the BAR.  On the preset the
# quota is smaller than the 4 GiB BAR, so the last page has no LMEM behind
# it; the last row repeats the case on a what-if layout where LMEM fills
# the whole BAR.

# %%
hand = T.hand_picked(topo, vf=1)
hand.select("case", "bytes", "rfc", "rfc_dpa", "rfc_claims", "correct", "correct_dpa", "reasons")

# %%
cells = pl.concat([
    hand.select("case", pl.lit("RFC").alias("behaviour"),
                pl.when(pl.col("rfc") == "ok").then(pl.col("rfc_dpa") + " /" + (pl.col("rfc_claims") // 1024)
                                                    .cast(pl.Utf8) + "K").otherwise(pl.col("rfc")).alias("result"),
                "reasons"),
    hand.select("case", pl.lit("correct").alias("behaviour"),
                pl.when(pl.col("correct") == "ok").then(pl.col("correct_dpa")).otherwise(pl.col("correct"))
                .alias("result"), "reasons"),
]).with_columns(pl.when(pl.col("reasons") == "agree").then(pl.lit("agree"))
                .otherwise(pl.lit("disagree")).alias("verdict"))
order = hand["case"].to_list()
base = alt.Chart(cells).encode(x=alt.X("behaviour:N", title=None, sort=["RFC", "correct"],
                                       axis=alt.Axis(orient="top", labelAngle=0)),
                               y=alt.Y("case:N", title=None, sort=order))
hand_chart = (base.mark_rect(stroke="white")
              .encode(color=alt.Color("verdict:N", scale=alt.Scale(domain=["agree", "disagree"],
                                                                 range=["#cfe8cf", "#f4c7c3"]), title=None),
                      tooltip=["case", "behaviour", "result", "reasons"])
              + base.mark_text(fontSize=10).encode(text="result:N")
              ).properties(width=560, height=230, title="RFC vs correct translation, VF 1, hand-picked ranges")
save_figure(hand_chart, cells, name="hand_picked",
            caption="Hand-picked VF 1 ranges: RFC (DPA/claimed) vs correct DPA/bytes",
            text=render_table(hand.select("case", "rfc", "rfc_claims", "correct", "segments", "reasons"))
            + "\n\n" + render_table(hand.select("case", "rfc_dpa", "correct_dpa")))

# %%
h = {r["case"]: r for r in hand.to_dicts()}
cross = h["16 KiB across a block boundary"]
after = int(cross["rfc_dpa"], 16) + cross["bytes"] // 2
owner = int(owner_vf(topo, np.array([after], dtype=np.uint64))[0])
owner_text = f"VF index {owner}'s LMEM" if owner >= 0 else "VRAM no VF owns"
say(f"* The 12 KiB range is encoded as {h['12 KiB range']['rfc_claims'] // 1024} KiB and the "
    f"2 MiB + 4 KiB range as {mib(h['2 MiB + 4 KiB range']['rfc_claims'])}: the importer is told it may "
    "touch VRAM that is not part of the buffer.\n"
    f"* Across the block boundary the RFC gives one segment at `{cross['rfc_dpa']}`; the correct answer is "
    f"{cross['segments']} segments, `{cross['correct_dpa']}`.  The RFC's second half points past the end "
    f"of VF 1's first block, at `{after:#x}`, which is {owner_text}.\n"
    f"* In the last BAR page the RFC finds no VF (`{h['last page of the BAR']['rfc']}`).  On the preset the "
    f"correct translator refuses it too, for another reason (`{h['last page of the BAR']['correct']}`: "
    "beyond the quota); where LMEM fills the BAR, the correct translator returns "
    f"`{h['last page, LMEM fills the BAR']['correct_dpa']}` and the RFC still fails.\n"
    f"* The range past the end of the quota: RFC `{h['16 KiB past the end of the quota']['rfc']}` "
    f"(DPA `{h['16 KiB past the end of the quota']['rfc_dpa']}`), correct "
    f"`{h['16 KiB past the end of the quota']['correct']}`.")

# %% [markdown]
# ## Random range sets
#
# Random page-aligned ranges: a random VF, a start inside its quota and a
# length of 1 to `max_pages` pages, log-uniform, so 4 KiB fragments and
# multi-MiB buffers both occur.  The same ranges are translated on the
# preset layout and on the 2 MiB-block layout.  A range can disagree for
# more than one reason.

# %%
sweep = pl.concat([
    T.disagreement_sweep(disagree_sizes, topo, seed, max_pages, backend).with_columns(layout=pl.lit("preset blocks")),
    T.disagreement_sweep(disagree_sizes, two_mib, seed, max_pages, backend).with_columns(
        layout=pl.lit("2 MiB blocks")),
])
sweep.select("layout", "ranges", "disagree", *T.REASONS, "claimed_extra_bytes", "misplaced_bytes")

# %%
long = pl.concat([T.reasons_long(g).with_columns(layout=pl.lit(k[0]))
                  for k, g in sweep.group_by("layout", maintain_order=True)])
plotted = long.filter(pl.col("count") > 0)  # log scale: a reason with no range has no point
reason_chart = (
    alt.Chart(plotted)
    .mark_line(point=True)
    .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="ranges in the set",
                    axis=alt.Axis(values=disagree_sizes, format="~s")),
            y=alt.Y("count:Q", scale=alt.Scale(type="log"), title="ranges that disagree"),
            color=alt.Color("reason:N", title="reason"),
            tooltip=["layout", "reason", "ranges", "count", alt.Tooltip("share:Q", format=".2%")])
    .properties(width=260, height=240)
    .facet(column=alt.Column("layout:N", title=None, sort=["preset blocks", "2 MiB blocks"]))
    .properties(title="Ranges on which the RFC and the correct translation disagree")
)
email = long.with_columns(pct=(100 * pl.col("share")).round(2)).select("layout", "ranges", "reason", "count", "pct")
save_figure(reason_chart, long, name="disagreement",
            caption="Ranges where RFC and correct translation disagree, by reason",
            text=render_table(email, max_rows=60))

# %%
top = sweep.filter(pl.col("ranges") == max(disagree_sizes))
pre = top.filter(pl.col("layout") == "preset blocks").row(0, named=True)
frag = top.filter(pl.col("layout") == "2 MiB blocks").row(0, named=True)
say(f"With {pre['ranges']:,} random ranges on the preset, **{pre['disagree']:,}** "
    f"({100 * pre['disagree'] / pre['ranges']:.1f}%) disagree.  Nearly all of them are "
    f"`get_order` overstatements ({pre['order overstated']:,}); over the ranges the RFC translates, the "
    f"encoded segments claim {100 * pre['claimed_extra_bytes'] / pre['range_bytes']:.1f}% more VRAM than "
    f"the ranges hold.  {pre['block crossing']:,} ranges cross a block boundary, which puts "
    f"{100 * pre['misplaced_bytes'] / pre['range_bytes']:.2f}% of the bytes at the wrong DPA; "
    f"{pre['overrun']:,} run past the quota.\n\n"
    f"With the quota in 2 MiB blocks the same ranges cross a boundary {frag['block crossing']:,} times "
    f"({100 * frag['block crossing'] / frag['ranges']:.1f}% of ranges) and "
    f"{100 * frag['misplaced_bytes'] / frag['range_bytes']:.1f}% of the bytes land at the wrong DPA: "
    "start-only translation is wrong for every range that spans two blocks not adjacent in VRAM, which "
    "here is almost every range longer than 2 MiB and many shorter ones.  Across sizes the "
    "counts grow in proportion to the set; the share of each reason depends on the length distribution "
    "and the block layout, not on how many ranges there are.")

# %% [markdown]
# The last-page case does not appear in random sets: on this preset the last
# page of every VF BAR lies beyond the quota, and random starts are drawn
# inside it.  It shows only as a different errno (see the hand-picked table)
# unless a VF is provisioned with its whole BAR.

# %% [markdown]
# ## Throughput against the memory roofline
#
# A translator touches each input range once and writes each output
# segment once, so the ceiling is memory bandwidth.  For every backend,
# variant and size the notebook measures, in this run:
#
# * **roofline ratio** -- the time of `np.copyto` moving the same number of
#   bytes (inputs read + outputs written, counted as `dmabuf-lab bench`
#   does) divided by the kernel's time; 1.0 means the kernel runs at copy
#   speed;
# * **vs reference** -- the numpy reference's time over this backend's time.
#
# Variants: the correct translator with SR-IOV arithmetic for the VF and a
# binary search over the VF's blocks (`correct, SR-IOV lookup`), with a
# binary search over sorted windows (`correct, window search`), on the
# 2 MiB-block layout where the block is found by a shift (`correct, 2 MiB
# blocks`, the fast path), and the RFC's single pass.  Timings are the best
# of several runs; on a shared 2-core machine they carry noise, and the
# smallest sizes sit in cache, where a copy is much faster than DRAM.

# %%
gpu_ok, gpu_why = T.gpu_status()
run_backends = ["reference", "numba"] + (["cuda"] if gpu_ok else [])
if not gpu_ok:
    say(f"**No GPU here**: {gpu_why}.  The `cuda` backend is not timed in this run and no GPU numbers "
        "are shown; the CPU backends are.")
tp = T.throughput(throughput_sizes, topo, backend_list=run_backends, seed=seed + 1, max_pages=throughput_pages,
                  min_time=min_time)
tp.select("backend", "variant", "ranges", "ns_per_range", "roofline_ratio", "vs_reference")

# %%
def by_backend(frame, y, title, ytitle, log_y=True):
    """ranges (log) against ``y``, one line per variant, one panel per backend."""
    return (alt.Chart(frame)
            .mark_line(point=True)
            .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="ranges translated",
                            axis=alt.Axis(values=throughput_sizes, format="~s")),
                    y=alt.Y(f"{y}:Q", scale=alt.Scale(type="log") if log_y else alt.Undefined, title=ytitle),
                    color=alt.Color("variant:N", title=None),
                    tooltip=["backend", "variant", "ranges", alt.Tooltip("roofline_ratio:Q", format=".3f"),
                             alt.Tooltip("vs_reference:Q", format=".1f"),
                             alt.Tooltip("ns_per_range:Q", format=".1f")])
            .properties(width=250, height=240)
            .facet(column=alt.Column("backend:N", title=None, sort=run_backends))
            .properties(title=title))


roof_chart = by_backend(tp, "roofline_ratio", "Translation speed relative to a copy of the same bytes",
                        "copy time / kernel time (1 = copy speed)")
save_figure(roof_chart, tp, name="roofline",
            caption="Translation vs a numpy copy of the same bytes, per backend (this run)",
            text=render_table(tp.select("backend", "variant", "ranges", pl.col("roofline_ratio").round(3),
                                        pl.col("vs_reference").round(2)), max_rows=60))

# %% [markdown]
# ## Linear growth
#
# The cost per range should not depend on how many ranges there are.  The
# chart below shows nanoseconds per range against the number of ranges;
# flat lines are linear growth.  The table fits `log(time)` against
# `log(ranges)` from `fit_from` ranges up (slope 1.0 is linear), where the
# fixed cost of a call no longer hides the per-range cost.

# %%
lin_chart = by_backend(tp, "ns_per_range", "Cost per range as the set grows", "ns per range")
slopes = T.growth(tp, min_x=fit_from)
display(save_figure(
    lin_chart, tp, name="linear_growth",
    caption="ns per range vs number of ranges, per backend (flat = linear)",
    text=render_lines(tp.with_columns((pl.col("backend") + "/" + pl.col("variant")).alias("series")),
                      "ranges", "ns_per_range", series="series", logx=True, logy=True,
                      xlabel="ranges", ylabel="ns per range")
    + "\n\n" + render_table(slopes.select("backend", "variant", pl.col("loglog_slope").round(2)))))
slopes

# %%
big = tp.filter(pl.col("ranges") == max(throughput_sizes))
fast = big.filter((pl.col("backend") == "numba") & (pl.col("variant") == "correct, 2 MiB blocks")).row(0, named=True)
srch = big.filter((pl.col("backend") == "numba") & (pl.col("variant") == "correct, SR-IOV lookup")).row(0, named=True)
rfc = big.filter((pl.col("backend") == "numba") & (pl.col("variant") == "RFC")).row(0, named=True)
nb_fit = slopes.filter((pl.col("backend") == "numba") & (pl.col("from") >= fit_from) & (pl.col("sizes") >= 2))
slope_text = (f"From {fit_from:,} ranges up, the fitted log-log slopes of time against ranges for numba are "
              f"{span(nb_fit['loglog_slope'])} (1.0 is linear), and the cost per range at the largest size is "
              f"{span(nb_fit['per_range_ratio'], '.1f', 'x')} the cost at {fit_from:,}."
              if nb_fit.height else f"This run has too few sizes from {fit_from:,} ranges up to fit a slope.")
say(f"At {fast['ranges']:,} ranges the numba fast path runs at **{fast['roofline_ratio']:.2f}x** copy speed "
    f"({fast['ns_per_range']:.1f} ns per range, {fast['vs_reference']:.1f}x the numpy reference).  "
    f"Searching the preset's blocks costs more: {srch['roofline_ratio']:.2f}x copy speed, "
    f"{srch['ns_per_range']:.1f} ns per range.  The RFC's single pass, which does less work and gets it "
    f"wrong, reaches {rfc['roofline_ratio']:.2f}x.  {slope_text}  At the preset's "
    f"rate a buffer of a million ranges is translated correctly in about {srch['ns_per_range']:.0f} ms "
    "on this machine.")
load = tp["loadavg_1m"].drop_nulls()
if load.len():
    say(f"The machine's 1-minute load average during these timings was {span(load, '.1f')} on {os.cpu_count()} CPUs.  Each time is the best of repeated calls: many short calls usually include "
        "one that ran undisturbed, the few long calls at the largest sizes may not, which bends the curves "
        "upward when the machine is busy.")

# %% [markdown]
# ## Committed benchmark results
#
# `dmabuf-lab bench` measures the same kernels at 10^3 to 10^8 ranges and
# writes `data/bench/<machine>-<device>-<backends>.json`.  Those files were
# measured on the machine and device named in each row, not in this run.
# Beside the roofline ratio each row has the ratio to its speed-of-light
# loop and both numpy ratios: against numpy running the kernel's own
# algorithm (`vs_numpy_same`) and against the generic numpy reference
# (`vs_reference`); `benchmarks/README.md` discusses them.

# %%
bench = T.bench_results()
if bench.height == 0:
    say("No benchmark results are committed under `data/bench/` yet.")
else:
    bench = bench.with_columns((pl.col("machine") + " / " + pl.col("device")
                                + pl.when(pl.col("quick")).then(pl.lit(" (quick)")).otherwise(pl.lit("")))
                               .alias("source"))
    tr = bench.filter(pl.col("kernel").str.starts_with("translate") & pl.col("roofline_ratio").is_not_null())
    bench_sizes = sorted(set(tr["ranges"].to_list()))
    bench_chart = (
        alt.Chart(tr)
        .mark_line(point=True)
        .encode(x=alt.X("ranges:Q", scale=alt.Scale(type="log"), title="ranges",
                        axis=alt.Axis(values=bench_sizes, format="~s")),
                y=alt.Y("roofline_ratio:Q", title="roofline ratio"),
                color=alt.Color("kernel:N"),
                tooltip=["source", "kernel", "backend", "ranges", alt.Tooltip("roofline_ratio:Q", format=".3f"),
                         alt.Tooltip("vs_reference:Q", format=".1f")])
        .properties(width=250, height=200)
        .facet(row=alt.Row("source:N", title=None), column=alt.Column("backend:N", title=None))
        .properties(title="Committed bench results: translation vs roofline")
    )
    display(save_figure(bench_chart, tr, name="bench_committed",
                caption="dmabuf-lab bench (committed): translation vs roofline, per machine",
                text="\n\n".join(f"{src}\n" + render_table(g.select("kernel", "backend", "ranges",
                                                                   pl.col("roofline_ratio").round(3),
                                                                   pl.col("speed_of_light_ratio").round(3),
                                                                   pl.col("vs_numpy_same").round(1),
                                                                   pl.col("vs_reference").round(1)), max_rows=60)
                                 for (src,), g in tr.group_by("source", maintain_order=True))))
    display(bench.select("source", "kernel", "backend", "ranges", "roofline_ratio", "speed_of_light_ratio",
                         "vs_numpy_same", "vs_reference"))
    devices = sorted(set(bench["device"]))
    say("Committed results come from: " + ", ".join(f"`{d}`" for d in devices) + ".")
    if not any("cpu" not in d.lower() for d in devices) and not gpu_ok:
        say("None of them is from a GPU: the GPU figures remain to be measured.")
