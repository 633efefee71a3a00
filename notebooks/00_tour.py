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
# # A tour of the thread
#
# Between January 2025 and the middle of 2026 a handful of kernel developers
# argued, across several mailing lists, about one question: when a driver
# shares a buffer through dma-buf, in what form should it tell the importing
# driver *where the buffer is*?  Mainline answers with an `sg_table` of DMA
# addresses already mapped for the importer.  Every proposal since then
# changes who maps, what kind of address travels, and what container carries
# it.
#
# This notebook lays the thread out as data: one row per message, with the
# revision of the design it belongs to, and a map from each revision to the
# module of this lab that runs it.  The later notebooks take one revision
# each.  The names: mainline-6.19 is mainline as of Linux 6.19, get-pfn to
# mapping-types-2026-02 the designs up
# to the 2026-02 RFC, mainline-7.1, mainline-7.2 and mainline-7.3-rc6 the
# releases after 6.19 (7.1: the revoke series, the vfio fixes and iommufd's
# pin; 7.2: iommufd's unpin under the lock; 7.3-rc6: the two mapping fixes),
# mapping-types-2026-03 the RFC rebased in March 2026, mapping-types-2026-05 the plan Jason
# Gunthorpe proposed and the alternative raised in the review of April and May 2026 (no agreement found).

# %% [markdown] tags=["answer"]
# The thread came in three bursts: a short exchange over `get_pfn` in
# January 2025; five dense weeks from late September to the end of October
# 2025 in which the offer list, RFC v1, RFC v2 and the mapping-type design
# followed each other; and the 26-patch mapping-types RFC of February 2026.
# RFC v1 drew the longest review, and its objections (an xarray that holds
# only pointers, an iterator against a whole list, where the ops live)
# shaped every revision after it.  Each revision is one module of this lab
# and one of the notebooks that follow.

# %% tags=["parameters"]
# Parameters (papermill / `dmabuf-lab run --params`).  The tour has no
# sizes to shrink; `small` is accepted like in every notebook.
small = False

# %%
import altair as alt
import polars as pl
from IPython.display import display

import textwrap

from dmabuf_lab.experiments.negotiation_views import short_names
from dmabuf_lab.experiments.thread import REVISION_NAMES, load_thread, revision_modules
from dmabuf_lab.figures import render_bars, render_heatmap, save_figure
from dmabuf_lab.figures.legend import drawn_scale, scheme_colours
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables

thread = load_thread()
print(f"{thread.height} messages summarised, {thread['date'].is_not_null().sum()} of them dated; "
      "the whole table is at the end of this page")

# %% [markdown]
# ## Who said what, and when
#
# Each point below is one message.  The vertical position is the author,
# the colour is the revision of the design under discussion.  Messages
# whose date the sources at hand do not show (parts of the review of the
# 2026 RFC, the 7.0 double-free fix) are kept in the table but left off the
# time axis.

# %%
dated = thread.filter(pl.col("date").is_not_null()).with_columns(
    pl.col("revision").replace_strict(REVISION_NAMES).alias("design"),
    pl.col("author").fill_null("(RFC 00/26 series)"))

timeline = (
    alt.Chart(dated)
    .mark_circle(size=140, opacity=0.85)
    .encode(
        x=alt.X("date:T", title="date", axis=alt.Axis(format="%Y-%m")),
        y=alt.Y("author:N", title=None, sort="-x"),
        color=alt.Color("revision:N", title="revision",
                        scale=drawn_scale(list(REVISION_NAMES), scheme_colours(list(REVISION_NAMES)),
                                          dated["revision"])),
        tooltip=["date:T", "author:N", "design:N", "proposes:N"],
    )
    .properties(width=620, height=220, title="Messages in the thread, by author and revision")
)

SHORT = short_names(REVISION_NAMES)
by_month = dated.with_columns(pl.col("date").dt.strftime("%Y-%m").alias("month"),
                              pl.col("revision").replace_strict(SHORT).alias("rev"))
cells = (by_month.group_by("author", "month", maintain_order=True)
         .agg(pl.col("rev").unique(maintain_order=True).str.join(",").alias("revisions")))
used = [r for r in REVISION_NAMES if r in set(dated["revision"])]
save_figure(timeline, dated.select("date", "author", "revision", "source", "subject", "proposes"),
            name="timeline", caption="The thread by author and month (cells: revisions discussed)",
            text=render_heatmap(cells, "author", "month", "revisions") + "\n\n"
            + textwrap.fill("  ".join(f"{SHORT[r]}={r}" for r in used), 72, break_on_hyphens=False,
                            break_long_words=False)
            + "\nsources: docs/sources.md (keys), Message-IDs and commit ids")

# %% [markdown]
# The rhythm is visible at a glance: a short, sharp exchange over `get_pfn`
# in January 2025, then nothing for eight months, then five dense weeks
# from late September to the end of October in which the offer list, RFC
# v1, RFC v2 and the mapping-type design follow each other, then the 2026
# RFC series, and after it the mainline work (the revoke series pulled for
# 7.1 in February, the overflow fix in June, merged for 7.3) beside the
# review that ended in a plan rather than a merge.

# %% [markdown]
# ## How much discussion each revision drew

# %%
per_revision = (thread.group_by("revision").agg(pl.len().alias("messages"))
                .sort("revision")
                .with_columns(pl.col("revision").replace_strict(REVISION_NAMES).alias("design")))
bars = (
    alt.Chart(per_revision)
    .mark_bar()
    .encode(x=alt.X("messages:Q", title="messages summarised", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("design:N", sort=list(REVISION_NAMES.values()), title=None, axis=alt.Axis(labelLimit=0)),
            color=alt.Color("revision:N", legend=None,
                            scale=alt.Scale(domain=list(REVISION_NAMES),
                                            range=list(scheme_colours(list(REVISION_NAMES)).values()))),
            tooltip=["revision", "design", "messages"])
    .properties(width=520, height=180, title="Messages per revision")
)
save_figure(bars, per_revision, name="messages_per_revision",
            caption="Messages summarised per revision of the design",
            text=render_bars(per_revision, "design", "messages", max_label=36))

# %% [markdown]
# RFC v1 drew the longest review.  That is where most of the concrete
# objections were raised -- an xarray that can only hold pointers, the
# first/next iterator versus a whole list, naming, where the ops live --
# and those objections shaped every revision after it.

# %% [markdown]
# ## From revision to code
#
# Every revision is modelled by one module, named as in the patches, and
# walked through in one notebook.  The two `present` columns say what exists
# in this checkout right now; the table is computed, not written by hand.

# %%
modules = revision_modules()
modules

# %% [markdown]
# ## The messages, one line each
#
# The summaries are ours; the subjects are the messages' own where the
# thread shows them.  Use `dmabuf-lab export 00_tour/timeline --format email`
# to paste the compact form into a reply.

# %%
with pl.Config(fmt_str_lengths=120, tbl_rows=40):
    display(thread.select("date", "author", "revision", "proposes"))
