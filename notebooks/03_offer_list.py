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
# # The offer list: the importer says what it wants, in order
#
# In September 2025 Thomas Hellström sketched a negotiation for
# interconnects (quoted in Thomas Hellström's offer-list mail (2025-09-26), Jason Gunthorpe's reply):
#
# 1. the importer builds an ordered *offer*, most preferred first:
#    `{interconnect, args}` pairs such as "VRAM offsets of *this* VRAM",
#    "a PCI BAR slice", "phys_addr_t" (for vfio, KVM, iommufd) and the
#    generic "dma_addr_t for this struct device";
# 2. `dma_buf_negotiate(dmabuf, offer, n)` lets the exporter run down the
#    offer and returns the index of the first entry it can serve, or
#    -EOPNOTSUPP;
# 3. `dma_buf_attach_interconnect()` attaches with that entry, and the
#    importer recovers the interconnect's own ops with `container_of()`;
# 4. an exporter that knows nothing about interconnects is served by the
#    core: if the importer offered the generic `dma_addr_t`, the core
#    wraps the existing dynamic attach and `dma_buf_map_attachment()`.
#
# The property that matters most for the later thread is step 2: **the
# importer's order wins**.  The 2026-02 mapping-types RFC makes the
# opposite choice: its `dma_buf_match_mapping()` walks the *exporter's*
# list outside.  This notebook runs both matchers on the same lists and the
# same drivers (`dmabuf_lab/revisions/offer_list.py`,
# `dmabuf_lab/revisions/mapping_types_2026_02.py`).

# %% [markdown] tags=["answer"]
# Under the offer list the importer's order wins: `dma_buf_negotiate()`
# returns the importer's first entry the exporter can serve.  The 2026-02
# RFC's `dma_buf_match_mapping()` walks the exporter's list outside, so the
# exporter's order wins.  The two agree whenever either side lists a single
# type and differ in many pairs where both list two or more (counted below).
# Through the drivers, an RDMA NIC that asks for DMA addresses first gets
# them under the offer list and a physical address list under the 2026-02
# RFC.  The offer list's generic `dma_addr_t` fallback exists only when the
# importer offers it, and the proposal itself adds no finding.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
type_names = ["A", "B", "C"]     # abstract interconnects/mapping types for the order matrix

# %%
if small:
    type_names = ["A", "B", "C"]

import altair as alt
import polars as pl

from dmabuf_lab.revisions.kconfig import assumptions_text
from dmabuf_lab.experiments import offer_negotiation as on
from dmabuf_lab.experiments.litmus_frames import scenario_checks, with_findings
from dmabuf_lab.figures import render_heatmap, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.revisions import get_revision

for name in ("offer-list", "mapping-types-2026-02"):
    r = get_revision(name)
    print(f"{r.name:24} {r.date}  {r.title}")

# %% [markdown]
# ## matching check 1: exporter `[A, B]`, importer `[B, A]`
#
# The fact sheet's first oracle, made concrete.  Both sides support both
# types; they only disagree about the order.

# %%
check1 = on.who_wins(["A", "B"], ["B", "A"])
check1

# %% [markdown]
# `dma_buf_negotiate()` returns 0 -- the importer's first entry, `B`.  mapping-types-2026-02's
# `dma_buf_match_mapping()` takes `A`, found at index 1 of the importer's
# list.  The lab's model of Jason's October design (mapping-types-2025-10) walks the lists the
# way mapping-types-2026-02 does; the mail does not say which order it meant.
#
# ## Every pair of orders
#
# The same comparison for every pair of ordered lists drawn from
# the type names (each list may leave types out).  `same` means both matchers
# pick the same type; `differ` means both find a match but pick different
# types; `no match` means the lists share no type (offer-list answers -EOPNOTSUPP,
# mapping-types-2026-02 -EINVAL).

# %%
matrix = on.order_matrix(type_names)
summary = matrix.group_by("verdict").len().sort("verdict")
summary

# %%
lists = [("".join(x)) for x in on.ordered_lists(type_names)]
order_chart = (
    alt.Chart(matrix)
    .mark_rect(stroke="white", strokeWidth=0.5)
    .encode(x=alt.X("importer:N", sort=lists, title="importer's list (preferred first)",
                    axis=alt.Axis(labelAngle=-60)),
            y=alt.Y("exporter:N", sort=lists, title="exporter's list (preferred first)"),
            color=alt.Color("verdict:N", title="offer-list vs mapping-types-2026-02",
                            scale=alt.Scale(domain=["same", "differ", "no match"],
                                            range=["#c7e9c0", "#fd8d3c", "#d9d9d9"])),
            tooltip=["exporter", "importer", "r2", "r6", "verdict"])
    .properties(width=26 * len(lists), height=22 * len(lists),
                title="Offer list (offer-list) vs dma_buf_match_mapping (mapping-types-2026-02): which type wins")
)
order_text = order_chart.mark_text(fontSize=9).encode(
    text="cell:N", color=alt.value("black"))
differ = matrix.filter(pl.col("verdict") == "differ")
save_figure(order_chart + order_text, matrix, name="who_wins",
            caption="Whose order wins: offer list vs the 2026-02 exporter-first matcher",
            text=render_table(summary) + "\n\n" + render_table(
                check1.select("matcher", "chosen", "exporter_index", "importer_index"))
            + "\n\nSome pairs that differ (cell: offer-list pick / 2026-02 RFC pick):\n"
            + render_table(differ.select("exporter", "importer", "r2", "r6"), max_rows=12))

# %% [markdown]
# The picture is a rule, not noise: offer-list picks the first entry of the
# importer's list that the exporter supports, mapping-types-2026-02 the first entry of the
# exporter's list that the importer supports.  They agree exactly when
# those two are the same type -- always when either side offers a single
# type -- and differ in the orange cells, counted below.  A driver written
# for one matcher and ported to the other keeps working but may silently
# get its second choice.

# %%
both = matrix.filter(pl.col("verdict") != "no match")
multi = both.filter((pl.col("exporter").str.len_chars() > 1) & (pl.col("importer").str.len_chars() > 1))
print(f"pairs with a common type: {both.height}, of which offer-list and mapping-types-2026-02 differ: "
      f"{both.filter(pl.col('verdict') == 'differ').height}")
print(f"  both sides listing 2+ types: {multi.height}, differ: "
      f"{multi.filter(pl.col('verdict') == 'differ').height}")

# %% [markdown]
# ## The same pairs through the drivers
#
# The drivers written for the offer list (importers build offers, exporters
# implement `negotiate` and `attach_interconnect`) against the drivers of
# the 2026-02 RFC, on the same buffers.  Both run as fixed variants, so the
# inherited 6.19 sg_table helper leak and the RFC's lock bug do not
# distract (notebooks 01 and 07 show them).  For offer-list the chosen offer index
# and entry come from the run's trace.

# %%
runs = on.offer_runs(targets=["offer-list:fixed", "mapping-types-2026-02:fixed"])
runs.select("case", "target", "outcome", "offer_index", "chosen", "findings")

# %%
cases = list(on.CASES)
shown = runs.with_columns(
    pl.col("target").str.replace(":fixed", "").alias("revision"),
    (pl.col("outcome") + pl.when(pl.col("offer_index").is_not_null())
     .then(" [" + pl.col("offer_index").cast(pl.Utf8) + "]").otherwise(pl.lit(""))).alias("label"),
    pl.when(pl.col("outcome").str.starts_with("-")).then(pl.lit("fails")).otherwise(pl.lit("works"))
    .alias("class"))
runs_chart = (
    alt.Chart(shown)
    .mark_rect(stroke="white")
    .encode(x=alt.X("revision:N", title=None, sort=["offer-list", "mapping-types-2026-02"],
                    axis=alt.Axis(labelAngle=0, orient="top")),
            y=alt.Y("case:N", sort=cases, title=None),
            color=alt.Color("class:N", title=None,
                            scale=alt.Scale(domain=["works", "fails"], range=["#74c476", "#fb6a4a"])),
            tooltip=["case", "target", "outcome", "offer_index", "chosen", "detail"])
    .properties(width=340, height=24 * len(cases), title="What the importer holds: offer-list vs mapping-types-2026-02")
)
runs_text = runs_chart.mark_text(fontSize=11).encode(text="label:N", color=alt.value("black"))
save_figure(runs_chart + runs_text, shown.drop("detail"), name="offer_runs",
            caption="Same exporter/importer pairs: offer list vs the 2026-02 RFC",
            text=render_heatmap(shown, "case", "revision", "label") + assumptions_text(
                ["offer-list", "mapping-types-2026-02"], ["as in each case"], variant_note="posted")
            + "\n\n[n]: index of the offer entry dma_buf_negotiate() chose")

# %% [markdown]
# What the drivers show:
#
# * **Importer preference.** The RDMA importer offering `[dma_addr_t,
#   phys_addr_t]` gets DMA addresses under offer-list and a physical address list
#   under mapping-types-2026-02, because vfio lists `[PAL, SGT_P2P]` and mapping-types-2026-02 follows the
#   exporter.  Reversing the importer's order changes offer-list's answer and not
#   mapping-types-2026-02's.  The xe PF offering the BAR slice first gets it (`iov`); offering
#   `dma_addr_t` first gets DMA addresses instead.
# * **The generic fallback.** The system heap knows no interconnect.  The
#   xe PF's offer is `[BAR slice, its VRAM, dma_addr_t]`; `dma_buf_negotiate()`
#   finds no `negotiate` callback and returns the index of the generic
#   entry, 2, and the core wraps `dma_buf_dynamic_attach()` +
#   `dma_buf_map_attachment()`.  Leave `dma_addr_t` out of the offer and the
#   same import fails with -EOPNOTSUPP: the fallback exists only if the
#   importer asks for it.  mapping-types-2026-02 has no such dependency -- every importer that
#   lists SGT gets the core's compat entry.
# * **Private interconnects.** An xe GPU importing its own VRAM can ask for
#   "VRAM offsets of this VRAM" and gets them (`private`).  The 2026-02 RFC
#   posts no such type, and the buffer may not migrate, so nothing matches
#   there (-EINVAL).
# * **Physical addresses.** iommufd gets `phys` from vfio under offer-list and
#   `pal` under mapping-types-2026-02; from the system heap it gets nothing under either --
#   neither design has an exporter that hands out system pages as physical
#   addresses.

# %% [markdown]
# ## The litmus scenarios that name the offer list
#
# Every scenario file with an `offer-list` expectation, run now under every
# variant of the revision (cells: outcome `+findings`); the count below
# compares the posted runs with the expectations written in the files.

# %%
lit = with_findings(scenario_checks(revision=["offer-list"], every_variant=True))
lit.pivot(on="variant", index="scenario", values="cell")

# %%
print(f"{lit.filter(pl.col('ok') == True).height} of {lit.filter(pl.col('ok').is_not_null()).height} "
      "expectations hold")
lit.filter(pl.col("variant") == "posted").filter(pl.col("findings").list.len() > 0).select("scenario", "cell")

# %% [markdown]
# Where the posted offer-list variant shows a finding, it is the inherited
# `dma_buf_phys_vec_to_sgt()` leak on vfio's `dma_addr_t` path -- the
# proposal itself adds none.  Its open questions are elsewhere: Jason asked
# why `allow_peer2peer` should survive once the offer can say "P2P
# `dma_addr_t`" explicitly, and pushed for interconnects that avoid the
# sg_table altogether; both led to the typed lists of RFC v2 (notebook 06)
# and the mapping types (notebook 07).
