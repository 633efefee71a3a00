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
# # The negotiation matrix: every revision, every driver pair
#
# Each revision of the design answers the same question differently: given
# this exporter and this importer, what does the importer end up holding?
# An sg_table of DMA addresses, a typed list of physical or device
# addresses, an error, or nothing because the revision has no way to write
# one of the two drivers at all.
#
# This notebook runs attach, map, unmap and detach for every
# (exporter, importer) pair that each revision's drivers can express, on
# every topology preset, and draws the verdicts as heat maps.  The pairs use
# one representative export per exporter driver (a 2 MiB slice of a VF's
# BAR 2 for vfio-pci where the topology has VFs, a 2 MiB VRAM BO for xe, a
# 2 MiB system-heap buffer) and the importer device a driver of that kind
# would sit on (the exporting VF's PF for xe, a NIC for RDMA and the legacy
# sg_table importer).  Revisions are listed as they are posted; mainline
# releases are `ml-6.19`, `ml-7.1`, `ml-7.2` and `ml-7.3-rc6` (plain `mainline` is the newest), the
# designs carry short names (`pfn` for get-pfn to `mt26` for the 2026-02
# RFC, `mt2603` for the branch rebased in March 2026, `mt2605` for the
# review plan of April-May 2026, posted = its step 3), spelled out under
# every table.

# %% [markdown] tags=["answer"]
# The revision and the two drivers decide the verdict; the topology rarely
# does.  The xe PF importing its VF's VRAM gets the IOV interconnect from the
# offer list through the 2025-10 mapping types and falls back to SGT_P2P in
# the 2026-02 RFC, which defines no IOV type.  iommufd and KVM get physical
# addresses only where a revision can carry them, and a static sg_table
# importer never gets a vfio-pci buffer.  On whose order wins: under the
# offer list the RDMA NIC gets what it asked for first; under the 2026-02
# RFC it gets a physical address list either way, because vfio lists PAL
# first.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
topologies = ["xe-sriov-8vf", "gpu-nic-same-switch", "gpu-nic-split-root", "vfio-passthrough"]

# %%
if small:
    topologies = ["xe-sriov-8vf", "gpu-nic-same-switch"]

import textwrap

import altair as alt
import polars as pl
from IPython.display import display

from dmabuf_lab.experiments.negotiation import negotiation_matrix
from dmabuf_lab.revisions.kconfig import assumptions_lines
from dmabuf_lab.experiments.negotiation_views import (CLASS_COLOURS, CLASSES, annotate, class_counts,
                                                      compare_revisions, notes_legend, revision_order,
                                                      short_names, who_orders, with_classes)
from dmabuf_lab.figures import render_heatmap, render_table, save_figure
from dmabuf_lab.figures.legend import drawn_scale
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.revisions import available_revisions, get_revision

revisions = available_revisions()
SHORT = short_names(revisions)
for r in revisions:
    rev = get_revision(r)
    print(f"{SHORT[r]:3} {r:24} {rev.date}  {rev.title}")

# %%
matrix = with_classes(negotiation_matrix(topologies=topologies, revisions=revisions))
matrix = matrix.with_columns(pl.col("revision").replace_strict(SHORT).alias("rev"),
                             (pl.col("revision").replace_strict(SHORT) + " " + pl.col("revision")).alias("rev_label"))
pair_order = list(dict.fromkeys(matrix["pair"].to_list()))   # the driver registry's order
rev_labels = [f"{SHORT[r]} {r}" for r in revision_order(revisions)]
print(f"{matrix.height} runs: {len(revisions)} revisions x {len(pair_order)} driver pairs x "
      f"{len(topologies)} topologies (pairs a revision cannot express have no row)")

# %% [markdown]
# ## The heat map
#
# Colour is the class of the verdict; the label is the verdict itself
# (`-` for cannot-express) followed by note letters.  A note names the
# findings the kernel-runtime model recorded in that run (leaks, missing
# lock, ...; `dmabuf-lab findings` has the bug reports), or a Kconfig
# option whose other value changes the verdict (every cell is run again
# with each option the model reads flipped).  The notes are listed under the
# chart, in its email text and in the tooltip.
# An empty cell means that revision has no driver module for one side of
# the pair (the 2026-02 RFC converts vfio, iommufd and xe; it has no peer
# GPU over a private link).

# %%
plot, notes = annotate(matrix)
plot = plot.with_columns(pl.col("findings").list.join(", ").alias("findings_text"),
                         pl.col("config").list.join("; ").alias("config_text"))
assumed = assumptions_lines(revisions, topologies, variant_note="posted (each revision as published)")
classes = list(CLASSES)
base = alt.Chart(plot).encode(
    x=alt.X("rev_label:N", sort=rev_labels, title=None, axis=alt.Axis(labelAngle=-40)),
    y=alt.Y("pair:N", sort=pair_order, title=None),
)
cells = base.mark_rect(stroke="white").encode(
    color=alt.Color("class:N", title="verdict", sort=classes,
                    scale=drawn_scale(classes, CLASS_COLOURS, plot["class"])),
    tooltip=["topology", "revision", "exporter", "importer", "outcome", "findings_text",
             "config_text", "exporter_device", "importer_device", "step", "detail"])
labels = base.mark_text(fontSize=9).encode(text="label:N")
# Size the grid from the data so the chart fits a 1920-pixel screen: a
# column wide enough for the longest label (about 6 px a character at 9 pt),
# the pair axis as wide as the longest pair name, and as many facets side
# by side as fit in 1800 px.
cell_w = max(44, 6 * max(len(s) for s in plot["label"]) + 10)
facet_w = cell_w * len(revisions) + 6 * max(len(p) for p in pair_order) + 30
heat = (alt.layer(cells, labels, data=plot)
        .properties(width=cell_w * len(revisions), height=17 * len(pair_order))
        .facet(facet=alt.Facet("topology:N", sort=topologies, title=None),
               columns=max(1, min(2, 1800 // facet_w)))
        .properties(title=alt.TitleParams("What the importer ends up with, per revision and driver pair",
                                          subtitle=[line.strip() for line in assumed + notes_legend(notes, 120)],
                                          anchor="start")))


first = topologies[0]
legend = "  ".join(f"{SHORT[r]}={r}" for r in revision_order(revisions))
first_plot, first_notes = annotate(matrix.filter(pl.col("topology") == first))
email = (render_heatmap(first_plot.with_columns(pl.col("revision").replace_strict(SHORT).alias("rev")),
                        "pair", "rev", "label")
         + "\n\n- = cannot express; . = no driver; letters = notes:\n"
         + "\n".join(notes_legend(first_notes)) + "\n"
         + textwrap.fill(legend, 72, break_on_hyphens=False, break_long_words=False) + "\n\n"
         + "\n".join(assumptions_lines(revisions, [first],
                                        variant_note="posted (each revision as published)")))
print("\n".join(notes_legend(notes)))
save_figure(heat, plot.drop("findings", "config").with_columns(
            pl.Series("findings", plot["findings_text"]), pl.Series("config", plot["config_text"])).drop(
            "findings_text", "config_text"), name="matrix",
            caption=f"Negotiation verdicts per revision and driver pair ({first} in text)",
            text=email)

# %% [markdown]
# Reading across a row shows what each revision changed for that pair:
#
# * vfio-pci -> xe on `xe-sriov-8vf` is the PF importing its own VF's VRAM:
#   an sg_table of P2P addresses in mainline, the IOV interconnect in the
#   offer list, RFC v1, RFC v2 and the 2025-10 mapping types, and back to
#   SGT_P2P in the 2026-02 RFC, which defines no IOV type.
# * vfio-pci -> iommufd and -> kvm are where "who maps" matters: physical
#   addresses (`phys`, `pal`) where the revision can carry them at all.
# * Where a topology has no VFs, the representative vfio-pci export is the
#   GPU's own BAR and the xe importer is that same GPU: a lab construction
#   (one function cannot be bound to both drivers), and under RFC v1 it
#   reaches the `iov-match-pf` bug and crashes.
# * An sg_table-only importer (`legacy`) keeps working wherever the
#   exporter can still produce an sg_table, and vfio-pci never can for a
#   static importer.

# %% [markdown]
# ## Counting the classes
#
# How often each revision gives an importer *something* it can use, summed
# over the topologies.

# %%
counts = class_counts(matrix).with_columns(
    pl.col("revision").replace_strict(SHORT).alias("rev"),
    pl.col("class").replace_strict({c: i for i, c in enumerate(classes)}, return_dtype=pl.Int64).alias("rank"))
count_chart = (
    alt.Chart(counts)
    .mark_bar()
    .encode(y=alt.Y("revision:N", sort=revision_order(revisions), title=None),
            x=alt.X("cells:Q", title="runs", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color("class:N", sort=classes, title="verdict",
                            scale=drawn_scale(classes, CLASS_COLOURS, counts["class"])),
            order=alt.Order("rank:Q"),
            tooltip=["revision", "class", "cells"])
    .properties(width=420, height=22 * len(revisions), title="Verdict classes per revision, all topologies")
)
wide = counts.pivot(on="class", index="rev", values="cells").fill_null(0)
save_figure(count_chart, counts, name="classes",
            caption="Verdict classes per revision (runs over all topologies)",
            text=render_table(wide.select("rev", *[c for c in classes if c in wide.columns])
                              .rename({"addresses (typed)": "typed", "cannot-express": "cannot"}))
            + "\n\n" + textwrap.fill(legend, 72, break_on_hyphens=False, break_long_words=False)
            + "\n\n" + "\n".join(assumptions_lines(revisions, topologies, variant_note="posted")))

# %% [markdown]
# ## What each topology changes
#
# Most verdicts do not depend on the topology: the revision and the two
# drivers decide.  The rows below are the (revision, pair) cells whose
# verdict differs between topologies.

# %%
varies = (matrix.group_by("revision", "pair").agg(pl.col("outcome").n_unique().alias("n"))
          .filter(pl.col("n") > 1).select("revision", "pair"))
by_topo = (matrix.join(varies, on=["revision", "pair"])
           .pivot(on="topology", index=["revision", "pair"], values="outcome").sort("revision", "pair"))
with pl.Config(tbl_rows=40, fmt_str_lengths=30):
    display(by_topo)

# %% [markdown]
# ## Whose order wins: the offer list and the 2026-02 matcher
#
# In Thomas Hellström's offer list (offer-list) the importer lists what it can
# take, in order of preference, and the exporter accepts the first entry it
# can serve: the importer's preference wins.  The 2026-02 RFC's
# `dma_buf_match_mapping()` walks the exporter's list on the outside, so the
# exporter's order wins.  The matrix's default importers state no
# preference between two kinds, so this needs its own run: an RDMA NIC
# behind the same switch as a GPU whose BAR vfio-pci exports, able to take
# DMA addresses or physical addresses, asked both ways round
# (docs/sources.md matching check 1).

# %%
orders = who_orders(revisions)
orders.select("revision", "importer_prefers", "outcome", "findings", "importer_order")

# %%
order_plot = orders.with_columns(pl.col("outcome").map_elements(
    lambda o: next((c for c, m in CLASSES.items() if o in m), "errno"), return_dtype=pl.Utf8).alias("class"))
order_chart = (
    alt.Chart(order_plot)
    .mark_rect(stroke="white")
    .encode(x=alt.X("importer_prefers:N", title="importer's preference", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("revision:N", sort=revision_order(revisions), title=None),
            color=alt.Color("class:N", title="verdict", sort=classes,
                            scale=drawn_scale(classes, CLASS_COLOURS, order_plot["class"])),
            tooltip=["revision", "importer_prefers", "outcome", "importer_order"])
    .properties(width=260, height=22 * len(revisions),
                title="vfio-pci BAR -> RDMA NIC: does the importer's order matter?")
)
order_text = order_chart.mark_text(fontSize=11).encode(text="outcome:N", color=alt.value("black"))
order_email = orders.with_columns(pl.col("revision").replace_strict(SHORT).alias("rev"),
                                  pl.col("findings").list.join(",").alias("found")).select(
    "rev", "importer_prefers", "outcome", "found", "importer_order")
save_figure(order_chart + order_text, orders, name="who_orders",
            caption="Whose preference wins: RDMA importer asking dma-addr vs phys first",
            text=render_table(order_email)
            + "\n\nfound = findings the model recorded (dmabuf-lab findings)\n"
            + textwrap.fill(legend, 72, break_on_hyphens=False, break_long_words=False) + "\n\n"
            + "\n".join(assumptions_lines(revisions, ["gpu-nic-same-switch"], variant_note="posted")))

# %% [markdown]
# Under the offer list the NIC gets what it asked for first.  Under the
# 2026-02 RFC it gets a physical-address list (PAL) either way, because
# vfio lists PAL before SGT_P2P and the exporter's list is the outer loop.
# (The `lock` finding is the reviewers' vfio `match_mapping` bug: it asserts
# the reservation lock, which attach does not hold.)  Wherever the verdict
# is the same both ways, the importer's order decides nothing: either the
# revision has no importer list at all, or the exporter's list does the
# ordering.

# %% [markdown]
# ## Offer list vs 2026-02 across the whole matrix
#
# Every cell where offer-list and mapping-types-2026-02 disagree.  Besides the ordering, the two differ
# in what an exporter without support gets wrapped into (offer-list's generic
# dma_addr_t interconnect, mapping-types-2026-02's SGT type), in the errno for "no common
# type" (-EOPNOTSUPP from `dma_buf_negotiate()`, -EINVAL from
# `dma_buf_match_mapping()`), and in reach (mapping-types-2026-02 has no KVM importer and no
# peer GPU).

# %% [markdown]
# ## What changed between Linux 6.19 and today
#
# Every cell where `mainline-6.19` and `mainline-7.3-rc6` disagree, and the
# same for the 2026-02 RFC against the branch rebased in March 2026.  The
# matrix runs the default kernel configuration: in 6.19 that has
# `CONFIG_DMABUF_MOVE_NOTIFY=n`, so vfio's always-failing pin (61ceaf236115)
# refuses every sg_table importer at map time, and xe's pin moves its BO to
# system memory first (so no importer gets xe VRAM peer to peer), while 7.1 and later
# (609fc8766d68 and the revoke series) pin only static importers.  The
# branch's xe never offers SGT_P2P (its test of the deleted Kconfig symbol
# is always false).  The scenarios
# `revoke-waits-for-deferred-unmap` and `mainline-mapped-len-wrap` show the
# other differences, which these default pairs do not reach.

# %%
for old, new in (("mainline-6.19", "mainline-7.3-rc6"), ("mapping-types-2026-02", "mapping-types-2026-03")):
    if old in revisions and new in revisions:
        changed = compare_revisions(matrix, old, new)
        print(f"{SHORT[old]} -> {SHORT[new]}: {changed.height} cell(s) differ")
        if changed.height:
            display(changed)

# %%
a, b = "offer-list", "mapping-types-2026-02"
if a in revisions and b in revisions:
    diff = compare_revisions(matrix, a, b)
    diff_pairs = (diff.group_by("exporter", "importer", a, b).agg(pl.col("topology").sort().alias("topologies"))
                  .sort("exporter", "importer", a, b))
    diff_plot = diff.with_columns((pl.col("exporter") + " -> " + pl.col("importer")).alias("pair"),
                                  (pl.col(a) + "  vs  " + pl.col(b)).alias("change"))
    diff_chart = (
        alt.Chart(diff_plot)
        .mark_rect(stroke="white")
        .encode(x=alt.X("topology:N", sort=topologies, title=None, axis=alt.Axis(labelAngle=-30)),
                y=alt.Y("pair:N", title=None),
                color=alt.Color("change:N", title=f"{SHORT[a]} vs {SHORT[b]}",
                                legend=alt.Legend(labelLimit=0)),
                tooltip=["pair", "topology", a, b])
        .properties(width=90 * len(topologies), height=18 * diff_plot["pair"].n_unique(),
                    title=f"Cells where {a} and {b} disagree")
    )
    diff_email = diff_pairs.with_columns(pl.col("topologies").list.len().alias("topos")).select(
        (pl.col("exporter") + ">" + pl.col("importer")).alias("pair"), pl.col(a).alias(SHORT[a]),
        pl.col(b).alias(SHORT[b]), "topos")
    display(save_figure(diff_chart, diff.with_columns(pl.lit(a).alias("a"), pl.lit(b).alias("b")),
                        name="r2_vs_r6", caption=f"Cells where {a} ({SHORT[a]}) and {b} ({SHORT[b]}) differ",
                        text=render_table(diff_email) + "\n\n"
                        + "\n".join(assumptions_lines([a, b], topologies, variant_note="posted"))))
    display(diff_pairs)

# %% [markdown]
# ## Findings behind the verdicts
#
# The runs that ended with a usable verdict but in which the model recorded
# findings.  Each is a litmus scenario away from a bug report.

# %%
flagged = (matrix.filter(pl.col("findings").list.len() > 0)
           .with_columns(pl.col("findings").list.join(", ").alias("findings"))
           .group_by("revision", "pair", "outcome", "findings").agg(pl.col("topology").n_unique().alias("topologies"))
           .sort("revision", "pair", "outcome", "findings"))
with pl.Config(tbl_rows=60, fmt_str_lengths=40):
    display(flagged)
