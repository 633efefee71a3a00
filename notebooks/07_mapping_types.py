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
# # Mapping types: the October 2025 design and the February 2026 RFC
#
# At the end of October 2025 Jason Gunthorpe described a different shape
# for the whole problem (the RFC v2 0/8 thread (2025-10-30/31), quoted in Christian König's reply):
#
# * the **sg_table becomes one mapping type** among others.  Exporters
#   declare the types they can produce, importers pass a match list, the
#   core picks one;
# * an importer that only knows sg_tables keeps calling `dma_buf_attach()`
#   or `dma_buf_dynamic_attach()`, and **the core builds its SGT list**;
#   there is no `allow_ic` and no fallback path inside importers;
# * **each type has its own ops** with its own types (`map_dma_buf` for
#   SGT, `map_phys` for PAL, ...), not one shared `map`;
# * **P2P becomes a property of the SGT type**: an exporter entry can
#   require P2P to its device, an importer entry says whether it accepts it;
# * a **PAL** (physical address list) type for importers that build their
#   own tables;
# * importers that use mapping types **must be dynamic**.
#
# Christian's condition: prove it on the existing SGT drivers first.  In
# February 2026 Jason posted "[PATCH RFC 00/26] Add DMA-buf mapping types
# and convert vfio/iommufd to use them".  The lab models both: revision
# `mapping-types-2025-10` (mapping-types-2025-10, with a `conversion` mode for the core
# converter discussed later) and `mapping-types-2026-02` (mapping-types-2026-02, as posted,
# with each reviewer-found bug behind a fix variant).

# %% [markdown] tags=["answer"]
# The mapping types keep their promise to sg_table importers: they keep
# their source and get an sg_table through the core's compat list.  P2P
# becomes part of the SGT type, so a static importer meets vfio's P2P-only
# entry with -EINVAL; all five stated oracles hold.  A physical address list
# reaches iommufd only: the 2026-02 RFC leaves KVM without any type.  The
# posted February series carries the reviewers' three bugs (xe's match
# length, vfio's lock assertion in `match_mapping`, NULL `importer_ops` in
# the dynamic attach) plus a missing revoked test in vfio's PAL map and the
# inherited sg_table leak.  The core converter lets a PAL-only exporter
# serve dynamic P2P importers but does not answer Christian König's
# objection to handing out physical addresses.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
r6_oracle_variant = "fixed"   # mapping-types-2026-02 variant for the driver-level oracles (posted shows the lock bug)

# %%
if small:
    r6_oracle_variant = "fixed"

import altair as alt
import polars as pl

from dmabuf_lab.revisions.kconfig import assumptions_text
from dmabuf_lab.experiments import mapping_types_review as mr
from dmabuf_lab.experiments.litmus_frames import scenario_checks, with_findings
from dmabuf_lab.figures import render_heatmap, render_table, save_figure
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.revisions import get_revision

targets = mr.mapping_targets()
for name in (mr.MT2510, mr.MT2602):
    r = get_revision(name)
    print(f"{r.name:22} {r.date}  {r.title}")
    for k, line in {**r.modes, **r.bugs}.items():
        print(f"    {k}: {line[:88]}")
print("targets:", ", ".join(targets))

# %% [markdown]
# ## The matcher and the oracles
#
# mapping-types-2026-02's `dma_buf_match_mapping(args, exp, exp_len)` walks the **exporter's
# list outside** and the importer's inside: entries with different type
# pointers are skipped; a type without `match` matches itself; `match`
# returning -EOPNOTSUPP moves to the next pair, any other error aborts; on
# success `finish_match()` records the result.  No pair: -EINVAL.  The fact
# sheet states five oracles about it; each row below is computed by the
# model (the matchers called with hand-built lists, or the drivers run end
# to end) and compared with the statement.

# %%
oracles = mr.oracle_table(r6_oracle_variant)
oracles.select("oracle", "revision", "case", "fact_sheet", "model", "agree")

# %%
orc = oracles.with_columns(
    pl.when(pl.col("agree").is_null()).then(pl.lit("not stated"))
    .when(pl.col("agree")).then(pl.lit("agrees")).otherwise(pl.lit("DIFFERS")).alias("check"),
    pl.col("revision").str.replace("mapping-types-", "mt-").alias("rev"),
    pl.col("fact_sheet").fill_null("-"))
seen: dict = {}
row_ids = []
for o in orc["oracle"]:
    seen[o] = seen.get(o, 0) + 1
    row_ids.append(f"{o}{chr(96 + seen[o])}")
orc = orc.with_columns(pl.Series("row", row_ids))
orc_long = orc.unpivot(index=["row", "check"], on=["case", "rev", "fact_sheet", "model"],
                       variable_name="column", value_name="text").with_columns(
    pl.when(pl.col("column") == "model").then(pl.col("check")).otherwise(pl.lit("input")).alias("shade"))
obase = alt.Chart(orc_long).encode(
    x=alt.X("column:N", sort=["case", "rev", "fact_sheet", "model"], title=None,
            axis=alt.Axis(labelAngle=0, orient="top")),
    y=alt.Y("row:N", sort=orc["row"].to_list(), title="oracle"))
orc_chart = (obase.mark_rect(stroke="white").encode(
    color=alt.Color("shade:N", title=None, scale=alt.Scale(
        domain=["agrees", "DIFFERS", "not stated", "input"], range=["#c7e9c0", "#fb6a4a", "#d9d9d9", "#f7f7f7"])))
    + obase.mark_text(fontSize=10).encode(text="text:N")).properties(
    width=960, height=22 * orc.height, title="matching check 1-5 of docs/sources.md, computed by the model")
save_figure(orc_chart, orc, name="oracles",
            caption="Matching checks 1-5 (docs/sources.md): stated vs the model's result",
            text=render_table(orc.select("oracle", "case", "rev", "fact_sheet", "model", "check")))

# %% [markdown]
# All stated oracles hold.  matching check 1 is the design decision that separates
# this family from Thomas Hellström's offer list: with exporter `[A, B]` and
# importer `[B, A]` the exporter's `A` wins (notebook 03 shows the whole
# space of orders).  mapping-types-2025-10 is not specified on this point; the lab walks it
# like mapping-types-2026-02.  matching check 4 is the SGT type's P2P rule at work: a static importer's
# compat list says `NO_P2P`, vfio's SGT entry requires P2P, so no pair
# matches and the attach fails where 6.19 failed it with -EOPNOTSUPP.

# %% [markdown]
# ## What each importer gets
#
# Every importer against four exporters, under each mapping-type variant
# that changes behaviour.  vfio offers, in order, `IOV` (mapping-types-2025-10 only, when the
# device is a VF), `PAL`, `SGT_P2P`; xe offers `SGT_P2P` when
# CONFIG_DMABUF_MOVE_NOTIFY is set (in the March branch never: the symbol
# is gone from its core) and plain `SGT` when the BO can move to
# system memory; the system heap declares nothing and is served by the
# core's compat SGT entry.

# %%
matrix = mr.importer_matrix(targets)
matrix = with_findings(matrix, "outcome")
imps = list(dict.fromkeys(matrix["importer"].to_list()))
exps = list(mr.EXPORTERS)
matrix = matrix.with_columns(
    pl.when(pl.col("outcome") == "cannot-express").then(pl.lit("cannot express"))
    .when(pl.col("outcome").str.starts_with("-") | (pl.col("outcome") == "crash")).then(pl.lit("fails"))
    .otherwise(pl.col("outcome").str.replace("sgt-p2p", "sgt")).alias("class"),
    pl.col("cell").str.replace("cannot-express", "n/a").alias("label"))
mcolor = alt.Color("class:N", title=None, scale=alt.Scale(
    domain=["sgt", "pal", "iov", "private", "fails", "cannot express"],
    range=["#9ecae1", "#a1d99b", "#fdd49e", "#dadaeb", "#fb6a4a", "#d9d9d9"]))
mbase = alt.Chart().encode(x=alt.X("importer:N", sort=imps, title=None,
                                   axis=alt.Axis(labelAngle=0, orient="top")),
                           y=alt.Y("exporter:N", sort=exps, title=None))
mchart = (alt.layer(mbase.mark_rect(stroke="white").encode(
    color=mcolor, tooltip=["target", "exporter", "importer", "outcome", "findings", "detail"]),
    mbase.mark_text(fontSize=10).encode(text="label:N"), data=matrix)
    .properties(width=430, height=120)
    .facet(row=alt.Row("target:N", sort=targets, title=None,
                       header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold")))
    .properties(title="Mapping types: what each importer holds, per exporter"))
mtext = "\n\n".join(t + ":\n" + render_table(
    matrix.filter(pl.col("target") == t).pivot(on="importer", index="exporter", values="label"))
    for t in targets)
save_figure(mchart, matrix.drop("detail"), name="importer_matrix",
            caption="Mapping types (2025-10 design, 2026-02 RFC): outcome per variant",
            text=mtext + "\n\nn/a: the importer cannot be written in that revision"
            + assumptions_text([mr.MT2510, mr.MT2602], ["xe-sriov-8vf", "gpu-nic-same-switch"],
                               variant_note="as in each column"))

# %% [markdown]
# Reading it:
#
# * **SGT compatibility works as designed** for SGT-only importers: RDMA,
#   the legacy static importer and the xe importer keep their source and
#   get `sgt` from the system heap and from xe VRAM through the core's
#   list.
# * **P2P inside the SGT type**: vfio's SGT entry requires P2P, so the
#   dynamic importers that accept it get `sgt-p2p` and the static legacy
#   importer gets -EINVAL from the matcher -- matching check 4 again, on every
#   variant.
# * **PAL**: iommufd gets vfio's physical list.  mapping-types-2025-10 ties PAL to no module,
#   so KVM can list it too; mapping-types-2026-02 exports `dma_buf_pal_map_phys()` to iommufd
#   alone, so KVM cannot be written at all.  Neither gives physical
#   addresses for the system heap or xe VRAM (-EINVAL): no such exporter
#   declares PAL.
# * **IOV and private types** exist only where a driver declares them: mapping-types-2025-10's
#   vfio offers IOV to a VF's own PF (`iov` for xe importing its VF's BAR),
#   and xe importing its own VRAM matches a private type.  The posted mapping-types-2026-02
#   series adds neither, so the same imports fall back to `sgt-p2p` or
#   fail.
# * Findings appear only under mapping-types-2026-02 as posted (`+lock`, `+leak`): the next
#   section takes them apart.
# * The `conversion` mode changes nothing here: every exporter above still
#   declares its own SGT entry.  It matters for an exporter that offers
#   PAL alone, further down.

# %% [markdown]
# ## The RFC's bugs, posted vs fixed
#
# Reviewers found three bugs in the February series: xe passes
# `ARRAY_SIZE(sgt_match)` where it filled fewer entries, so the matcher
# reads an uninitialised entry; vfio's `match_mapping` asserts the
# reservation lock, which `dma_buf_mapping_attach()` does not hold; and the
# `dma_buf_dynamic_attach()` wrapper dereferences `importer_ops` with no
# NULL check.  The revision also carries a missing `revoked` test in vfio's
# PAL `map_phys` and the 6.19 sg_table helper leak it inherits.  Every
# litmus scenario that names mapping-types-2026-02 is run under every variant; for each bug,
# the scenarios whose verdict its own fix changes:

# %%
lit = with_findings(scenario_checks(revision=[mr.MT2602], every_variant=True))
bugs = mr.bug_effects(lit)
bugs.select("bug", "found_by", "scenarios_changed", "example", "posted", "fix_only_this", "all_fixed")

# %%
bug_long = bugs.unpivot(index=["bug", "found_by", "example"], on=["posted", "fix_only_this", "all_fixed"],
                        variable_name="variant", value_name="cell").with_columns(
    pl.when(pl.col("cell").str.contains(r"\+") | (pl.col("cell") == "crash")).then(pl.lit("finding"))
    .otherwise(pl.lit("clean")).alias("class"),
    (pl.col("bug") + " (" + pl.col("found_by") + ")").alias("row"))
bug_rows = bug_long["row"].unique(maintain_order=True).to_list()
bbase = alt.Chart(bug_long).encode(
    x=alt.X("variant:N", sort=["posted", "fix_only_this", "all_fixed"], title=None,
            axis=alt.Axis(labelAngle=0, orient="top")),
    y=alt.Y("row:N", sort=bug_rows, title=None))
bchart = (bbase.mark_rect(stroke="white").encode(
    color=alt.Color("class:N", title=None, scale=alt.Scale(domain=["finding", "clean"],
                                                           range=["#fb6a4a", "#c7e9c0"])),
    tooltip=["bug", "example", "variant", "cell"])
    + bbase.mark_text(fontSize=10).encode(text="cell:N")).properties(
    width=520, height=30 * len(bug_rows), title="2026-02 RFC bugs: example scenario, posted vs fixed")
save_figure(bchart, bug_long, name="rfc_bugs",
            caption="2026-02 RFC bugs: example scenario verdict, posted vs fixed",
            text=render_table(bugs.select("bug", "found_by", "scenarios_changed", "example"))
            + "\n\n" + render_table(bugs.select("bug", "posted", "fix_only_this", "all_fixed")))

# %% [markdown]
# * `vfio-match-lock` touches almost every vfio scenario: every attach to a
#   vfio buffer goes through `match_mapping` without the lock.  It is a
#   lockdep splat, not a wrong verdict.
# * `xe-match-len` changes no verdict either, but the matcher reads an
#   entry nobody wrote: the outcome only looks right because the stack
#   happened to hold nothing that matches.
# * `dynamic-attach-null-ops` is a crash for any caller that passes NULL
#   ops to the dynamic wrapper, which is what mainline's `dma_buf_attach()`
#   used to do internally.
# * `pal-revoked` lets iommufd keep mapping a BAR that vfio has revoked --
#   the one bug here that hands out memory the exporter took away.

# %% [markdown]
# ## PAL: Christian's objection and Jason's converter
#
# Christian König called a physical address list a no-go for dma-buf:
# once physical addresses leave the exporter, nothing stops an importer
# from using them for the wrong device or after a move.  He proposed an
# importer type built on an `iommu_domain`, where the *exporter* maps into
# the importer's domain.  Jason's answer was a plan in three steps: the
# core and SGT first; then **core converters**, so an exporter can offer
# PAL only and the core turns it into an sg_table for SGT importers with
# `dma_buf_phys_vec_to_sgt()`; and an `iommu_domain` type for iommufd
# later.  KVM fits neither the domain type nor the restricted PAL.
#
# The converter is modelled in mapping-types-2025-10's `conversion` mode: for each PAL entry
# an exporter declares, the core appends an SGT_P2P entry whose map takes
# the PAL, maps it for the importer's device and gives it back.  Below, a
# vfio buffer offered as `[PAL]` only, against the lists the importers
# build.  The mapping-types-2026-02 rows call its matcher directly (mapping-types-2026-02 has no converter, and
# its vfio always offers `[PAL, SGT_P2P]`).

# %%
pal = mr.pal_only_matches()
pal

# %%
pal_targets = pal["target"].unique(maintain_order=True).to_list()
pal = pal.with_columns(pl.when(pl.col("outcome").str.starts_with("-")).then(pl.lit("fails"))
                       .otherwise(pl.lit("works")).alias("class"))
pbase = alt.Chart(pal).encode(
    x=alt.X("target:N", sort=pal_targets, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
    y=alt.Y("importer:N", title=None))
pchart = (pbase.mark_rect(stroke="white").encode(
    color=alt.Color("class:N", title=None, scale=alt.Scale(domain=["works", "fails"],
                                                           range=["#74c476", "#fb6a4a"])))
    + pbase.mark_text(fontSize=11).encode(text="outcome:N")).properties(
    width=480, height=90, title="A PAL-only vfio exporter: without and with the core converter")
save_figure(pchart, pal, name="pal_only",
            caption="PAL-only vfio exporter vs importers: without and with a converter",
            text=render_heatmap(pal.with_columns(pl.col("target").str.replace("mapping-types-", "mt-")),
                                "importer", "target", "outcome"))

# %% [markdown]
# Without a converter a PAL-only exporter is reachable by iommufd and
# nobody else.  With it, a dynamic P2P importer gets `sgt-p2p` -- built by
# the same `dma_buf_phys_vec_to_sgt()` the 6.19 vfio exporter uses, so the
# addresses are the ones it would get today.  The static importer still
# fails: the converted entry requires P2P, as vfio's own SGT entry does.
# The converter removes the need for every exporter to write an SGT path;
# it does not answer Christian's objection, because iommufd still receives
# raw physical addresses.  The `iommu_domain` type would, but would leave
# KVM without any type.

# %% [markdown]
# ## Dynamic importers only
#
# mapping-types-2025-10's rule is that an importer using mapping types must have
# `move_notify`.  `dma_buf_mapping_attach()` of each revision, given an
# exporter without types (served by the compat SGT entry) and three kinds
# of importer ops:

# %%
rule = mr.mapping_attach_rule()
rule

# %%
rule = rule.with_columns((pl.col("outcome") + pl.when(pl.col("findings") != "")
                          .then(" +" + pl.col("findings")).otherwise(pl.lit(""))).alias("cell"),
                         pl.when(pl.col("outcome").str.starts_with("-")).then(pl.lit("refused"))
                         .otherwise(pl.lit("attached")).alias("class"))
rbase = alt.Chart(rule).encode(
    x=alt.X("revision:N", title=None, axis=alt.Axis(labelAngle=0, orient="top")),
    y=alt.Y("importer_ops:N", title=None, sort=rule["importer_ops"].unique(maintain_order=True).to_list()))
rchart = (rbase.mark_rect(stroke="white").encode(
    color=alt.Color("class:N", title=None, scale=alt.Scale(domain=["attached", "refused"],
                                                           range=["#74c476", "#fb6a4a"])))
    + rbase.mark_text(fontSize=11).encode(text="cell:N")).properties(
    width=360, height=90, title="dma_buf_mapping_attach(): which importer_ops it takes")
save_figure(rchart, rule, name="dynamic_only",
            caption="dma_buf_mapping_attach() by importer_ops kind, 2025-10 vs 2026-02",
            text=render_heatmap(rule.with_columns(pl.col("revision").str.replace("mapping-types-", "mt-")),
                                "importer_ops", "revision", "cell"))

# %% [markdown]
# mapping-types-2025-10 refuses a static importer in `dma_buf_mapping_attach()` (WARN,
# -EINVAL): static importers exist only behind the compat
# `dma_buf_attach()`.  mapping-types-2026-02 routes `dma_buf_attach()` itself through
# `dma_buf_mapping_attach()` with NULL ops, so it must accept them; it still
# WARNs on ops that lack `move_notify`.  Which importers are dynamic-only
# in practice: iommufd and KVM (their revocation path *is* `move_notify`),
# the converted vfio importers; static importers keep working only through
# the SGT compat list, and so only with exporters whose SGT entry does not
# require P2P.

# %% [markdown]
# ## The scenarios
#
# Every litmus scenario naming either mapping-type revision, run now;
# `ok` compares with the expectation in the file.

# %%
both = with_findings(scenario_checks(revision=[mr.MT2510, mr.MT2602]))
checked = both.filter(pl.col("ok").is_not_null())
print(f"{checked.filter(pl.col('ok')).height} of {checked.height} expectations hold "
      f"over {both['scenario'].n_unique()} scenarios")
both.filter(pl.col("ok") == False).select("scenario", "target", "expected", "cell")

# %% [markdown]
# ## After the RFC: the March branch, the review plan, and EGM
#
# `mapping-types-2026-03` is the RFC rebased on 2026-03-01
# (`<20260301190543.GA768004@nvidia.com>`): xe's match count is fixed but
# its SGT_P2P entry still depends on the Kconfig symbol the branch's core
# deleted, so xe never offers it (`xe-sgt-p2p-dead-config`); the
# vfio resv assertion, the NULL `importer_ops` dereference and the PAL
# map without a `revoked` test are still there; its `fix-vfio-match-lock`
# variant is the lock fix sent inline on 2026-04-13 (a `pci_dev` reference
# from export to release, no assertion).  The branch's vfio already has the
# revoke series' wait: a PAL list holds a reference on the buffer, so a PAL
# map after a revoke takes a reference on zero (a refcount WARN), and
# closing the device after a revoke puts that reference again and waits
# for ever (`cleanup-after-revoke`, `race-vfio-close-after-revoke`).  The
# nvgrace-gpu EGM exporter, written on the RFC's API, repeats the
# assertion and the missing `revoked` test, and frees its private data
# twice when the fd install fails (scenarios `egm-*`).
#
# `mapping-types-2026-05` is the plan Jason Gunthorpe proposed in the
# review (no reply agreeing to it was found; the last message found is
# `<20260511224841.GA1197107@nvidia.com>`): step 1 SGT types alone, step 2
# core PAL -> SGT converters with vfio PAL-only, step 3 an importer-only
# iommu_domain type for iommufd; and Christian König's
# `dma_buf_map_attachment_iommu()`.  The plan has no code: the converter is
# `dma_buf_phys_vec_to_sgt()` as merged, the helper the plan names, so every
# step that maps SGT inherits its scatterlist leak (the `fixed` variant runs
# the lab's corrected helper instead).  Which pairs each stage serves, on
# the same-switch topology (v7.3-rc6 for reference):

# %%
from dmabuf_lab.experiments.review_plan import review_plan_pairs, served

plan = review_plan_pairs()
plan_wide = (plan.pivot(on="stage", index=["exporter", "importer"], values="outcome")
             .rename({"map-attachment-iommu": "map_iommu", "mainline-7.3-rc6": "ml-7.3-rc6"})
             .sort("exporter", "importer"))
plan_wide

# %%
served(plan).with_columns(pl.col("served_by").list.len().alias("stages serving"))

# %% [markdown]
# KVM is served by no stage: the converter hands out DMA addresses for a
# device and the domain type fills an IOMMU page table, and KVM needs
# neither (Xu Yilun's point in May 2026).  iommufd gets its own domain only
# from step 3 or the alternative; until then it keeps vfio's private
# bridge, which only ever answers for vfio's buffers.
