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
# # get_pfn: who should turn a dma-buf into addresses?
#
# In January 2025 Xu Yilun proposed `dma_buf_get_pfn_unlocked()`: a new
# exporter callback that returns the PFN (and the largest mappable order)
# of one page of the buffer, so that "subsystem importers" -- KVM building
# a guest mapping, iommufd building an IOMMU table at a user IOVA -- can
# consume a dma-buf without a `struct device` and without an `sg_table`.
# The reply thread (the get_pfn RFC thread (2025-01-07/08)) turned into a debate about *who maps*:
#
# * **Exporter maps** (Christian König): the importer only ever sees
#   addresses the exporter made valid for `attach->dev`.  The exporter may
#   hold memory the CPU cannot see, or memory that must stay on the device;
#   only it knows how to make such memory reachable, so PFNs and struct
#   pages must not leak out.
# * **Importer maps** (Jason Gunthorpe): the DMA API is designed for the
#   importer to map physical memory for its own device; KVM and iommufd need
#   CPU physical addresses, not DMA addresses, and P2P in dma-buf is broken
#   precisely because the exporter maps.
#
# The lab's get-pfn revision carries both positions as modes beside the RFC
# as posted (`dmabuf_lab/revisions/get_pfn.py`, drivers in
# `dmabuf_lab/drivers/*/get_pfn.py`).  Below, every importer meets every
# kind of memory under each of them, through the real driver paths.

# %% [markdown] tags=["answer"]
# Neither position works alone.  Exporter-maps cannot serve KVM or iommufd
# at all: they have no device to map for.  Importer-maps cannot describe
# CPU-invisible or device-private memory, and it breaks P2P MMIO for device
# importers, because a PFN without a `struct page` carries no p2pdma
# provider.  The RFC as posted is a hybrid that serves KVM and iommufd only
# from vfio, and its NULL-device attach is refused (WARN, -EINVAL) by any
# exporter that also has `map_dma_buf`.  A page-at-a-time API costs one call
# per 4 KiB page unless the exporter reports real orders.  Later revisions
# close the gap by passing physical ranges together with their provider.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
size_mib = 4               # size of each exported buffer in the grid
walk_sizes_mib = [2, 8, 32, 128]   # buffer sizes for the page-walk count

# %%
if small:
    size_mib = 2
    walk_sizes_mib = [2, 8]

import altair as alt
import polars as pl

from dmabuf_lab.revisions.kconfig import assumptions_text
from dmabuf_lab.experiments import get_pfn_debate as gd
from dmabuf_lab.figures import render_lines, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.revisions import get_revision

rev = get_revision("get-pfn")
print(f"{rev.name}: {rev.title} ({rev.date})")
print("variants:", ", ".join(rev.variants))
for name, line in {**rev.modes, **rev.bugs}.items():
    print(f"  {name}: {line}")

# %% [markdown]
# ## The buffers and the importers
#
# All runs use the `gpu-nic-same-switch` preset: an xe GPU (03:00.0) and a
# ConnectX-7 (04:00.0) behind one PCIe switch, so P2P is possible and the
# answers below are about the *design*, not about the fabric.  CPU-invisible
# VRAM may still be migrated to system memory by its exporter;
# device-private memory may not.  The `xe` column is the GPU importing for
# its own device (for the VRAM rows: the exporting GPU itself).

# %%
pl.DataFrame([{"buffer": b.name, "exporter": b.driver, "memory kind": b.memory,
               "options": ", ".join(f"{k}={v}" for k, v in b.options)} for b in gd.BUFFER_KINDS])

# %%
grid = gd.philosophy_grid(size=size_mib << 20)
grid.select("position", "buffer", "importer", "outcome", "step", "findings").head(10)

# %% [markdown]
# ## Which philosophy can work at all
#
# Each cell is one import (attach, map, unmap, detach) under one position.
# Green cells end with a mapping; the label says what the importer holds
# (`pfn`, `dma-addr`, `sgt`, `sgt-p2p`).  Red cells fail with the errno
# shown; grey cells are importers that cannot even be written under that
# position.

# %%
SHOWN = ["posted", "exporter-maps", "importer-maps"]
heat = (grid.filter(pl.col("variant").is_in(SHOWN))
        .with_columns(pl.col("outcome").str.replace("cannot-express", "n/a").alias("label")))
color = alt.Color("class:N", title=None,
                  scale=alt.Scale(domain=["works", "fails", "cannot express"],
                                  range=["#74c476", "#fb6a4a", "#bdbdbd"]))
base = alt.Chart().encode(
    x=alt.X("importer:N", title=None, sort=list(gd.IMPORTERS), axis=alt.Axis(labelAngle=0, orient="top")),
    y=alt.Y("buffer:N", title=None, sort=[b.name for b in gd.BUFFER_KINDS]))
cells = base.mark_rect(stroke="white").encode(color=color, tooltip=["position", "buffer", "importer",
                                                                    "outcome", "step", "detail"])
labels = base.mark_text(fontSize=10).encode(text="label:N")
who = (alt.layer(cells, labels, data=heat)
       .properties(width=470, height=160)
       .facet(row=alt.Row("position:N", title=None, sort=[gd.POSITIONS[v] for v in SHOWN],
                          header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold")))
       .properties(title="get_pfn debate: what each importer gets, per buffer kind"))

short = {"system RAM": "system RAM", "MMIO BAR": "MMIO BAR", "VRAM, CPU-visible": "VRAM visible",
         "VRAM, CPU-invisible": "VRAM invisible", "device-private": "dev-private"}
text = "\n\n".join(
    gd.POSITIONS[v] + ":\n" + render_table(
        heat.filter(pl.col("variant") == v).with_columns(pl.col("buffer").replace(short))
        .pivot(on="importer", index="buffer", values="label"))
    for v in SHOWN)
save_figure(who, heat.drop("detail"), name="who_can_import",
            caption="get_pfn debate: outcome per importer x buffer, per position",
            text=text + "\n\nn/a: the importer cannot be written under that position"
            + assumptions_text(["get-pfn"], sorted(set(heat["topology"])) if "topology" in heat.columns
                               else ["the buffer kinds' own presets"], variant_note="the three positions"))

# %% [markdown]
# Reading the three panels:
#
# * **Exporter maps.** KVM and iommufd are grey in every row: they need CPU
#   physical addresses and have no device to map for, so there is nothing
#   an exporter-maps API can hand them.  Every device importer works for
#   every buffer that can be placed where the device reaches it -- including
#   CPU-invisible VRAM, which the exporter migrates to system memory
#   (`sgt`, not `sgt-p2p`).  Only device-private memory fails: nobody but the
#   owning device may touch it.  The legacy static importer loses the MMIO
#   BAR because it does not accept P2P.
# * **Importer maps.** KVM and iommufd get PFNs for system RAM, the MMIO
#   BAR and CPU-visible VRAM.  CPU-invisible VRAM has no PFN, so every
#   importer that asks fails (-EOPNOTSUPP from xe's `get_pfn`, which KVM turns
#   into -EIO).  Device importers fail on the MMIO BAR and on visible
#   VRAM as well: a PFN without a `struct page` has no pgmap and hence no
#   p2pdma provider, so the importer cannot choose between bus address and
#   host-bridge mapping.  Only system RAM works for them.  The legacy
#   importer knows nothing of PFNs and keeps the sg_table path in every
#   panel; its column changes only where the exporter's ops change.
# * **The RFC as posted** is a hybrid: only vfio-pci implements `get_pfn`,
#   device importers keep `dma_buf_map_attachment()`.  KVM and iommufd work
#   against vfio and nothing else; device importers fail against vfio,
#   whose RFC exporter has no `map_dma_buf` any more (-EINVAL at map) and
#   refuses the pin a static importer needs (-EINVAL at attach).

# %% [markdown]
# ## The RFC's NULL-device bug
#
# The RFC lets subsystem importers attach with `dev == NULL`, but
# `dma_buf_dynamic_attach()` still WARNs and returns -EINVAL for a NULL
# device whenever the exporter has `map_dma_buf`.  So KVM and iommufd can
# only attach to an exporter that implements nothing but `get_pfn`.  With
# the check relaxed, they reach `dma_buf_get_pfn_unlocked()` and fail there
# instead, because only vfio has `get_pfn` in the posted series:

# %%
bug = (grid.filter(pl.col("importer").is_in(["kvm", "iommufd"])
                   & pl.col("variant").is_in(["posted", "fix-null-dev-attach"]))
       .with_columns((pl.col("outcome") + pl.when(pl.col("step") != "").then(" at " + pl.col("step"))
                      .otherwise(pl.lit(""))).alias("result"))
       .pivot(on="variant", index=["importer", "buffer"], values="result"))
bug

# %% [markdown]
# ## The revision's one-line rule against the drivers
#
# `get_pfn.philosophy_works()` states the debate as one rule per
# (position, memory kind, importer need).  The drivers implement the same
# rules through real callbacks; the table lists every case they disagree on.

# %%
rules = gd.rule_vs_drivers(grid)
print(f"{rules.height} cases compared, {rules.filter(~pl.col('agree')).height} disagree")
rules.filter(~pl.col("agree"))

# %% [markdown]
# The one disagreement is device-private memory under exporter-maps: the
# rule assumes CPU-invisible memory can always be migrated to where the
# importer reaches it, and device-private memory by definition cannot.
# Christian's position covers it only if "the exporter maps" includes "the
# exporter may refuse"; nothing else in the design helps that importer.

# %% [markdown]
# ## What a page-at-a-time API costs
#
# `dma_buf_get_pfn_unlocked()` answers one page per call (plus the order
# that may be mapped there).  vfio's RFC exporter always reports order 0;
# xe can report order 9 for an aligned 2 MiB VRAM block; the system heap
# in the importer-maps mode reports order 0.  An importer that must size
# its table before filling it (RDMA) walks the buffer twice.  The counts
# below are `dma_buf_get_pfn_unlocked()` calls measured during one import;
# an sg_table importer makes one `map_dma_buf` call instead.

# %%
calls = gd.get_pfn_calls(walk_sizes_mib)
# cases whose counts coincide at every size are one line with one legend entry ("a = b"),
# so no line hides another
same = (calls.sort("size_mib").group_by("case", maintain_order=True).agg(pl.col("get_pfn_calls"))
        .with_columns(pl.col("get_pfn_calls").cast(pl.List(pl.Utf8)).list.join(",").alias("key")))
merged = {case: " = ".join(same.filter(pl.col("key") == key)["case"].to_list())
          for case, key in same.select("case", "key").iter_rows()}
calls = (calls.with_columns(pl.col("case").replace_strict(merged).alias("case"))
         .unique(subset=["case", "size_mib"], keep="first", maintain_order=True))
calls_chart = (
    alt.Chart(calls)
    .mark_line(point=True)
    .encode(x=alt.X("size_mib:Q", scale=alt.Scale(type="log", nice=False), title="buffer size (MiB)"),
            y=alt.Y("get_pfn_calls:Q", scale=alt.Scale(type="log"), title="get_pfn calls per import"),
            color=alt.Color("case:N", title=None, legend=alt.Legend(labelLimit=0)),
            strokeDash=alt.StrokeDash("case:N", title=None, legend=alt.Legend(labelLimit=0)),
            tooltip=["case", "size_mib", "pages", "get_pfn_calls", "outcome"])
    .properties(width=460, height=260, title="dma_buf_get_pfn_unlocked() calls to import one buffer")
)
save_figure(calls_chart, calls, name="get_pfn_calls",
            caption="get_pfn calls per import vs buffer size (importer-maps mode)",
            text=render_lines(calls, "size_mib", "get_pfn_calls", series="case", logx=True, logy=True,
                              xlabel="buffer MiB", ylabel="get_pfn calls")
            + "\n\n" + render_table(calls.select("case", "size_mib", "get_pfn_calls")))

# %% [markdown]
# The count is linear in the buffer size for vfio and the system heap (one
# call per 4 KiB page, a reservation-lock round trip each; cases whose
# counts coincide share one line and one legend entry), doubled for
# RDMA, and 512 times smaller for VRAM that comes in aligned 2 MiB blocks.
# The cost argument therefore depends on the exporter reporting real
# orders, which the posted vfio patch does not do yet.
#
# ## Where the evidence leaves the argument
#
# * Christian is right that CPU-invisible and device-private memory cannot
#   be described by PFNs: under importer-maps those rows fail for everyone
#   who asks.
# * Jason is right that KVM and iommufd cannot be served by an
#   exporter-maps API at all: their columns are grey whatever the memory.
# * Neither position alone makes P2P MMIO work for device importers under
#   importer-maps: a PFN without a `struct page` lacks the provider the DMA
#   API needs.  That is the gap later revisions close by passing physical
#   ranges *together with* their p2pdma provider (RFC v2's `phys_vec` plus
#   provider, the mapping types' PAL).
