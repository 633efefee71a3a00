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
# # Real machines: what would each revision do here?
#
# The presets are machines the lab made up to state a question cleanly.
# This notebook starts from what real machines printed instead: the
# `lspci` output, kernel log lines and the `dma_buf/bufinfo` dump shipped in
# `data/captures/` (each with its public source in `data/README.md`).
# Pasted captures are rarely complete -- mail-quoted, cut with `...`, taken
# at `-v` instead of `-vvv` -- so the loaders keep what is there and list
# what is not, and every conclusion below is only as good as that list.
#
# The same functions take your own machine: `lspci -vvv` text or a sysfs
# snapshot directory (the one-line command is in `data/README.md`) wherever
# a capture path is used here.

# %% [markdown] tags=["answer"]
# On the machines that were captured, the topology answers before the
# design does: the two ConnectX-7 NICs sit under different host bridges with
# no P2P-capable root complex in the capture, so every revision fails to map
# between them, and no capture has a GPU with VFs enabled.  Only the what-if
# (the 8086:56c0 GPU with assumed VRAM and VFs) reaches the thread's case,
# where each revision answers as on the presets.  Pasted captures lack
# device ids, upstream ports and per-VF BAR sizes; every gap is listed under
# its machine.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
layout_vfs = 0             # VFs per PF in the layout chart (0 = every VF up to TotalVFs)
# The what-if for the GPU capture: none of these numbers is in any capture.
whatif_vfs = 4             # VFs to enable on 0000:53:00.0
whatif_vram_gib = 16       # VRAM behind the PF (the capture shows a 16 GiB BAR 2, not the VRAM size)
whatif_quota_gib = 2       # LMEM quota per VF

# %%
if small:
    layout_vfs = 4

import os
import textwrap

import altair as alt
import polars as pl
from IPython.display import display

from dmabuf_lab.experiments.machines import (CAPTURES, MACHINES, bufinfo_buffers, bufinfo_sharing,
                                             capture_files, device_table, load_machine, machine_negotiation,
                                             missing_table, sriov_summary, vf_bar_layout,
                                             with_xe_vfs)
from dmabuf_lab.experiments.negotiation import negotiation_matrix
from dmabuf_lab.revisions.kconfig import assumptions_text
from dmabuf_lab.experiments.negotiation_views import (CLASS_COLOURS, CLASSES, annotate, notes_legend,
                                                      revision_order, short_names, with_classes)
from dmabuf_lab.figures import render_heatmap, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.hw.loaders import load_bufinfo
from dmabuf_lab.revisions import available_revisions

GiB = 1 << 30
revisions = available_revisions()
SHORT = short_names(revisions)
machines = {m: load_machine(capture_files(m)) for m in MACHINES}
for m, files in MACHINES.items():
    print(f"{m}: {', '.join(files)}")

# %% [markdown]
# ## (a) The machines as captured
#
# Each capture becomes the same tree the presets print.  Bus numbers,
# bridges, BARs and the SR-IOV capability come from the text; what the text
# lacks is listed under each tree.

# %%
for m, topo in machines.items():
    print(f"===== {m}")
    print(topo.render_tree())
    print()

# %%
devices = pl.concat([device_table(t).with_columns(pl.lit(m).alias("machine")) for m, t in machines.items()])
with pl.Config(tbl_rows=30, fmt_str_lengths=50):
    display(devices.select("machine", "bdf", "kind", "name", "vendor", "device", "driver", "bars", "vfs"))

# %%
gaps = pl.concat([missing_table(t, m) for m, t in machines.items()])


def gap_kind(line: str) -> str:
    if "per-VF size" in line:
        return "per-VF BAR size"
    if "device id" in line:
        return "device id (no -nn)"
    if "bridge" in line or "port type" in line:
        return "upstream bridge / port"
    if "IOMMU" in line:
        return "IOMMU domain type"
    if "BAR" in line and "index" in line:
        return "BAR index (-v)"
    if "twice" in line or "different times" in line:
        return "repeated / mixed blocks"
    return "other"


gaps = gaps.with_columns(pl.col("missing").map_elements(gap_kind, return_dtype=pl.Utf8).alias("gap"))
gap_counts = gaps.group_by("machine", "gap").len().rename({"len": "lines"}).sort("machine", "gap")
gap_chart = (
    alt.Chart(gap_counts)
    .mark_bar()
    .encode(y=alt.Y("machine:N", title=None, sort=list(MACHINES)),
            x=alt.X("lines:Q", title="things the capture does not show", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("gap:N", title=None),
            tooltip=["machine", "gap", "lines"])
    .properties(width=380, height=28 * len(MACHINES), title="What each capture lacks")
)


def gap_text(frame: pl.DataFrame) -> str:
    out = []
    for m in MACHINES:
        lines = frame.filter(pl.col("machine") == m)["missing"].to_list()
        out.append(f"{m}:")
        for ln in lines:
            out += textwrap.wrap(ln, 72, initial_indent="  - ", subsequent_indent="    ")
    return "\n".join(out)


save_figure(gap_chart, gaps, name="capture_gaps", caption="What each shipped capture does not show",
            text=gap_text(gaps))

# %% [markdown]
# The pattern is the same in every pasted capture: no `-nn`, so no device
# ids for the named functions; no upstream ports, so no proof that two
# devices share a switch; and no per-VF BAR size, because `lspci` never
# prints it.  The per-VF size is the one number the VF BAR layout needs.
# It comes from a VF's own block (X550), from the kernel's
# `VF(n) BARk space` log line (the 8086:56c0 GPU), or from a sysfs
# `resource` file.

# %% [markdown]
# ## (b) The VF BAR layout
#
# VF *i*'s BAR *n* starts at the PF's IOV window for BAR *n* plus *i* times
# the per-VF size (`drivers/pci/iov.c`).  Where the capture also prints the
# VF's own block, the rule can be checked against it.

# %%
lay = pl.concat([vf_bar_layout(t, vf_ids=range(layout_vfs) if layout_vfs else None)
                 .with_columns(pl.lit(m).alias("machine")) for m, t in machines.items()])
checked = lay.filter(pl.col("captured").is_not_null())
print(f"{checked.height} VF BAR(s) printed by the captures; the rule agrees with "
      f"{(checked['captured'] == checked['start']).sum()} of them")
sriov = pl.concat([sriov_summary(t).with_columns(pl.lit(m).alias("machine")) for m, t in machines.items()])
display(sriov.select("machine", "pf", "total_vfs", "num_vfs", "vf_offset", "vf_stride", "vf_device",
                     "vf_bars_sized"))
no_size = sriov.filter(pl.col("vf_bars_sized").list.len() == 0)["pf"].to_list()
print("SR-IOV PFs with no per-VF BAR size in the capture (no layout possible): " + (", ".join(no_size) or "none"))


def hexs(col: str) -> pl.Expr:
    return pl.col(col).map_elements(lambda v: None if v is None else f"{int(v):#x}", return_dtype=pl.Utf8)


known = lay.filter(pl.col("start").is_not_null())
known.with_columns(hexs("iov_base"), hexs("start"), hexs("end"), hexs("captured")).select(
    "machine", "pf", "bar", "vf_index", "vf_bdf", "enabled", "start", "end", "captured").head(12)

# %%
def unit_of(size: int) -> tuple[int, str]:
    """The largest of KiB, MiB, GiB not above ``size``: the window's axis unit."""
    for unit, name in ((GiB, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit:
            return unit, name
    return 1, "B"


units = {s: unit_of(int(s)) for s in known["size_per_vf"].unique().to_list()}
plot_lay = known.with_columns(
    pl.col("size_per_vf").replace_strict({s: u for s, (u, _) in units.items()}, return_dtype=pl.Float64)
    .alias("unit"),
    pl.col("size_per_vf").replace_strict({s: f"{s // u} {n} per VF; axis in {n}" for s, (u, n) in units.items()},
                                         return_dtype=pl.Utf8).alias("per_vf"),
).with_columns(
    ((pl.col("start") - pl.col("iov_base")).cast(pl.Float64) / pl.col("unit")).alias("from_unit"),
    ((pl.col("end") + 1 - pl.col("iov_base")).cast(pl.Float64) / pl.col("unit")).alias("to_unit"),
    (pl.col("pf") + " BAR " + pl.col("bar").cast(pl.Utf8) + " (" + pl.col("per_vf") + ")").alias("window"),
    pl.when(pl.col("enabled")).then(pl.lit("enabled in the capture")).otherwise(pl.lit("not enabled"))
    .alias("state"))
layout_chart = (
    alt.Chart(plot_lay)
    .mark_bar(stroke="white", strokeWidth=0.5)
    .encode(x=alt.X("from_unit:Q", title="offset from the IOV window start"), x2="to_unit:Q",
            y=alt.Y("vf_index:O", title="VF index", sort="descending",
                    axis=alt.Axis(labelExpr="datum.value % 4 == 0 ? datum.label : ''")),
            color=alt.Color("state:N", title=None,
                            scale=alt.Scale(domain=["enabled in the capture", "not enabled"],
                                            range=["#4c78a8", "#b7c9e2"])),
            tooltip=["machine", "pf", "bar", "vf_index", "vf_bdf", alt.Tooltip("start:Q", format="#x"),
                     alt.Tooltip("end:Q", format="#x"), alt.Tooltip("captured:Q", format="#x")])
    .properties(width=300, height=alt.Step(7))
    .facet(facet=alt.Facet("window:N", title=None), columns=2)
    .resolve_scale(x="independent", y="independent")
    .properties(title="VF BAR windows by the SR-IOV rule (per PF and BAR)")
)


def layout_text(frame: pl.DataFrame) -> str:
    """Per window: the rule's numbers and the first, second and last VF."""
    out = []
    for (pf, bar), g in frame.group_by(["pf", "bar"], maintain_order=True):
        g = g.sort("vf_index")
        size, total = int(g["size_per_vf"][0]), int(g["total_vfs"][0])
        out.append(f"{pf} BAR {bar}: base {int(g['iov_base'][0]):#x} + i x {size:#x}, {total} VFs")
        picks = g.filter(pl.col("vf_index").is_in([0, 1, int(g["vf_index"].max())]))
        for r in picks.iter_rows(named=True):
            cap = "" if r["captured"] is None else (
                "  = capture" if r["captured"] == r["start"] else f"  capture {r['captured']:#x}")
            out.append(f"  VF{r['vf_index']:<3} {r['vf_bdf'] or '?':13} {r['start']:#018x}-{r['end']:#018x}{cap}")
    return "\n".join(out)


save_figure(layout_chart, known, name="vf_bar_layout",
            caption="VF BAR windows derived from the captures (SR-IOV layout rule)",
            text=layout_text(known))

# %% [markdown]
# The X550's VF 0 is the one VF a capture prints: the rule puts its BAR 0
# and BAR 3 exactly where its own `lspci -v` block has them.  The
# 8086:56c0 GPU has no VF enabled in the capture; its layout rests on the
# kernel log line alone, which gives 16 MiB (BAR 0) and 8 GiB (BAR 2) per
# VF for 31 VFs.  Note that its VF routing ids run to bus 0x54: the switch
# port above it must have a subordinate bus of at least 54 for all 31 to be
# enabled, which its `[bus 53-54]` allows.

# %% [markdown]
# ## (c) What each revision negotiates on these machines
#
# The same runner and the same importer choices as the negotiation matrix
# (notebook 08), with one difference: vfio-pci exports a slice of a **VF's**
# BAR when the machine has a VF, since that is the case the thread is
# about.  Importers: the VF's PF for xe (only if it is a GPU), a NIC (or
# another endpoint, never a bridge) for RDMA and the legacy sg_table
# importer, and iommufd and KVM, which need no device.  Pairs a machine
# cannot host are left out: no capture shows VRAM, so no xe exporter.
#
# The negotiation functions take a capture path wherever they take a preset
# name.  One file, as is:

# %%
single = os.path.relpath(CAPTURES / "lspci-intel-x550-1.txt")   # as a reader would type it
negotiation_matrix(topologies=[single], revisions=revisions[:2]).select(
    "revision", "exporter", "importer", "topology", "outcome").head(6)

# %% [markdown]
# The machines made of several files, and the what-if, go through
# `machine_negotiation`, which takes a file list or a factory.
#
# **The what-if.**  No shipped capture has a GPU with VFs enabled and
# provisioned -- the case RFC v1 and v2 were written for.  The 8086:56c0
# capture comes closest: its SR-IOV layout is complete.  Below, its PF gets
# `whatif_vram_gib` GiB of VRAM and `whatif_vfs` VFs with `whatif_quota_gib`
# GiB of LMEM each, laid out by the capture's own VF BAR rule.  Those three
# numbers are assumptions, not data.

# %%
WHATIF = f"8086:56c0 + {whatif_vfs} VFs (what-if)"
whatif = with_xe_vfs(capture_files("Intel 8086:56c0 GPU + kernel log"), "0000:53:00.0",
                     num_vfs=whatif_vfs, vram_size=whatif_vram_gib * GiB, lmem_quota=whatif_quota_gib * GiB)
print(whatif().render_tree())

# %%
sources = {m: capture_files(m) for m in MACHINES}
sources[WHATIF] = whatif
neg = pl.concat([machine_negotiation(src, m, revisions) for m, src in sources.items()])
neg, neg_notes = annotate(with_classes(neg).rename({"topology": "machine"}))
neg = neg.with_columns(
    pl.col("revision").replace_strict(SHORT).alias("rev"),
    (pl.col("revision").replace_strict(SHORT) + " " + pl.col("revision")).alias("rev_label"),
    pl.col("findings").list.join(", ").alias("findings_text"))
print(f"{neg.height} runs over {len(sources)} machines")

# %%
vfio = neg.filter(pl.col("exporter") == "vfio-pci")
classes = list(CLASSES)
rev_labels = [f"{SHORT[r]} {r}" for r in revision_order(revisions)]
pair_order = ["vfio-pci -> " + i for i in ("xe", "peer-gpu", "iommufd", "kvm", "rdma", "legacy")]
vbase = alt.Chart(vfio).encode(
    x=alt.X("rev_label:N", sort=rev_labels, title=None, axis=alt.Axis(labelAngle=-40)),
    y=alt.Y("pair:N", sort=pair_order, title=None))
vrect = vbase.mark_rect(stroke="white").encode(
    color=alt.Color("class:N", title="verdict", sort=classes,
                    scale=alt.Scale(domain=classes, range=[CLASS_COLOURS[c] for c in classes])),
    tooltip=["machine", "revision", "exporter_device", "importer", "importer_device", "outcome",
             "findings_text", "detail"])
vtext = vbase.mark_text(fontSize=9).encode(text="label:N")
machine_chart = (alt.layer(vrect, vtext, data=vfio)
                 .properties(width=78 * len(revisions), height=alt.Step(18))
                 .facet(facet=alt.Facet("machine:N", sort=list(sources), title=None), columns=1)
                 .resolve_scale(y="independent")
                 .properties(title="A vfio-pci BAR export on each machine: what each importer gets"))


def machine_text(frame: pl.DataFrame) -> str:
    out = []
    for m in sources:
        sub = frame.filter(pl.col("machine") == m)
        if sub.height == 0:
            continue
        exp = sub["exporter_device"][0]
        out.append(f"{m}: vfio-pci exports {exp}")
        out.append(render_heatmap(sub.with_columns(pl.col("importer").alias("importer")), "importer", "rev",
                                  "label"))
        out.append("")
    out.append("- = cannot express; letters = notes:")
    out.extend(notes_legend(neg_notes))
    out.append(textwrap.fill("  ".join(f"{SHORT[r]}={r}" for r in revision_order(revisions)), 72,
                             break_on_hyphens=False, break_long_words=False))
    return "\n".join(out) + assumptions_text(revisions, list(sources), variant_note="posted")


save_figure(machine_chart, vfio.drop("findings").rename({"findings_text": "findings"}), name="negotiation",
            caption="Each captured machine: a vfio-pci BAR export vs each importer",
            text=machine_text(vfio))

# %% [markdown]
# What the machines add to the preset matrix:
#
# * **ConnectX-7 x2**: the two NICs sit under different host bridges (buses
#   0x21 and 0x81) and the capture shows no P2P-capable root complex, so
#   every revision that maps for the second NIC fails: P2P is the
#   topology's verdict, not the design's.  iommufd still gets the physical
#   address where the revision can carry one.
# * **X550 PF + VF0**: the exported BAR is a real VF's, but the PF is a NIC
#   driven by ixgbe, not a GPU, so the IOV question never arises.  The RDMA
#   and sg_table importers sit on the PF, which reaches its own VF's BAR
#   only through a host bridge the capture does not show as P2P-capable.
# * **Alder Lake-P iGPU** and **8086:56c0 as captured**: SR-IOV capable but
#   with no VF enabled, so vfio-pci can only export the PF's own BAR.  The
#   8086:56c0 capture has no second endpoint at all, so only iommufd and
#   KVM can be asked.
# * **The what-if**: the VF's PF is a GPU with VRAM, and the row
#   `vfio-pci -> xe` is the thread's case: an sg_table of P2P addresses in
#   mainline, IOV under the offer list, RFC v1 and v2 and the 2025-10
#   mapping types, and SGT_P2P again under the 2026-02 RFC.

# %%
with pl.Config(tbl_rows=40, fmt_str_lengths=40):
    display(neg.filter(pl.col("machine") == WHATIF).pivot(on="rev", index="pair", values="label"))

# %% [markdown]
# ## (d) Who shares what: a bufinfo dump
#
# `/sys/kernel/debug/dma_buf/bufinfo` lists every exported buffer with its
# exporter, its fences and the devices attached to it.  The one public dump
# shipped here is from an Apple M1 laptop under the Asahi drm driver, and
# it is cut off after the fifth buffer.

# %%
info = load_bufinfo(CAPTURES / "bufinfo-asahi-m1-drm.txt")
print("missing:", *info.missing, sep="\n  ")
buffers = bufinfo_buffers(info)
buffers

# %%
sharing = bufinfo_sharing(info).with_columns((pl.col("bytes") / (1 << 20)).round(2).alias("MiB"))
share_chart = (
    alt.Chart(sharing)
    .mark_bar()
    .encode(y=alt.Y("device:N", title="attached device"),
            x=alt.X("MiB:Q", title="MiB shared"),
            color=alt.Color("exporter:N", title="exporter"),
            tooltip=["exporter", "device", "buffers", "bytes"])
    .properties(width=380, height=alt.Step(26), title="bufinfo: bytes per exporter and attached device")
)
share_text = (render_table(sharing.select("exporter", "device", "buffers", "MiB"))
              + f"\n\n{len(info.buffers)} buffers listed; " + "; ".join(info.missing))
save_figure(share_chart, sharing, name="bufinfo_sharing",
            caption="Who shares what: exporters x attached devices (Asahi M1 bufinfo)",
            text="\n".join(textwrap.fill(p, 72) if len(p) > 72 else p for p in share_text.split("\n")))

# %% [markdown]
# Every buffer in this dump is exported by the GPU driver (`drm`); two small
# ones (1 MiB each, framebuffer-sized) are attached to the display
# controller, two larger ones have no attachment, and the listing ends
# before the fifth buffer's attachments.  A dump from a machine where a GPU
# and a NIC share buffers is still wanted (see `data/README.md`): it would
# put a row per importing device here, and each of those pairs could be
# looked up in the matrix above.
