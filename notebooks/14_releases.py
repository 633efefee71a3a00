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
# # Mainline release by release: what each release changed, and which fix removed which finding
#
# The lab models mainline as four releases, 6.19, 7.1, 7.2 and 7.3-rc6,
# each written as a patch over the one before it and named after the
# commits that changed it (`docs/mainline-releases.md`).  Two questions
# follow.  Which litmus scenarios give a different answer from one release
# to the next?  And for each commit between 6.19 and v7.3-rc6 that changed
# a modelled function: does a general checker of the lab (leak,
# use-after-free, double free, lock, refcount, hang, use after revoke,
# errno) see the defect it removed on the release before it, and stop
# seeing it on the release that first carries it?
#
# The first answer comes from `dmabuf-lab diff` between consecutive
# releases (`dmabuf_lab.litmus.diff.diff`); the second from the fix history
# (`dmabuf_lab.findings.fix_history.fix_history`), which replays each
# commit's scenarios through the same scoring path as `dmabuf-lab litmus`.
# A commit is `found`, `not expressible` (the release data says why no
# checker can see it), `missing` (no scenario replays it yet) or
# `disagrees` (its scenarios do not show the defect going away).

# %% [markdown] tags=["answer"]
# Most answers change with 7.1, where the revoke series, vfio's fixes and
# iommufd's pin arrive together: vfio's revoke now waits, so the races in
# which an importer's DMA reaches the BAR after the revoke stop; and the
# scenarios of the RDMA interfaces 6.19 lacks (the uverbs dma-buf exporter
# of 7.0, the pinned revocable MR of 7.1) first get an answer.  7.2
# changes only iommufd's answers (its release path unpins under the
# reservation lock, e745cd2c749e), and 7.3-rc6 those of the dma-buf
# mapping helper (the length that wrapped past 4 GiB, b344ca94e8cc).  The
# fix history counts, commit by commit, which of these changes a general
# checker sees remove a defect; the same counts head the README, and a
# commit still `missing` names the scenario file that would replay it.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
select = ""                # only scenario files whose name contains this ("" = all)

# %%
import altair as alt
import polars as pl
from IPython.display import display

from dmabuf_lab.figures import render_bars, render_table, save_figure
from dmabuf_lab.findings.fix_history import CLASSES, counts, counts_sentence, fix_history, table_text
from dmabuf_lab.litmus.diff import diff
from dmabuf_lab.litmus.scenario import default_litmus_dir, find_scenarios
from dmabuf_lab.revisions import MAINLINE_RELEASES, available_revisions
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables

releases = [r for r in MAINLINE_RELEASES if r in available_revisions()]
rows = fix_history()
paths = find_scenarios()
if small:
    # the scenarios of the fix history and the mainline ones: the releases' own questions
    named = {str(default_litmus_dir().parent / s) for r in rows for s in r.scenarios}
    paths = [p for p in paths if str(p) in named or p.name.startswith(("fix-", "mainline-"))]
if select:
    paths = [p for p in paths if select in p.name]
print(f"releases: {', '.join(releases)}; {len(paths)} scenarios compared between consecutive releases")

# %% [markdown]
# ## Which scenarios change answer from one release to the next
#
# One bar per step between releases: the scenarios whose verdict, findings
# or race verdicts differ.  A scenario the older release cannot express
# counts (as `interface`) where its file states `cannot-express` for that
# release: the interface it uses first appears in the newer one; one the
# lab merely has not written for a release is not counted.  The table under
# it names each one and what explains it.

# %%
changed = []
steps = list(zip(releases, releases[1:]))


def step_name(a: str, b: str) -> str:
    return f"{a.removeprefix('mainline-')} -> {b.removeprefix('mainline-')}"


for a, b in steps:
    diffs, _skipped, _n = diff(a, b, paths)
    for d in diffs:
        if "cannot-express" in (d.a.outcome, d.b.outcome):
            what = "interface"
        elif d.a.races or d.b.races:
            what = "races"
        else:
            what = "verdict" if d.a.outcome != d.b.outcome else "findings"
        changed.append({"step": step_name(a, b), "scenario": d.scenario, "changes": what,
                        "explanation": "; ".join(d.explanation)})
changed = pl.DataFrame(changed, schema={"step": pl.Utf8, "scenario": pl.Utf8, "changes": pl.Utf8,
                                        "explanation": pl.Utf8})
per_step = (pl.DataFrame({"step": [step_name(a, b) for a, b in steps]})
            .join(changed.group_by("step").len(), on="step", how="left")
            .with_columns(pl.col("len").fill_null(0).alias("scenarios")).drop("len"))
step_chart = (
    alt.Chart(changed if changed.height else per_step)
    .mark_bar()
    .encode(x=alt.X("step:N", sort=[s for s in per_step["step"]], title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count():Q", title="scenarios whose answer changes"),
            color=alt.Color("changes:N", legend=alt.Legend(orient="bottom")) if changed.height else alt.value("grey"),
            tooltip=["step", "scenario", "changes", "explanation"] if changed.height else ["step"])
    .properties(width=160 * max(1, len(steps)), height=220,
                title=alt.TitleParams("Scenarios that change answer between consecutive releases", anchor="start"))
)
display(save_figure(step_chart, changed, name="changes",
                    caption=f"Scenarios whose answer changes between releases ({len(paths)} compared)",
                    text=(render_bars(per_step, "step", "scenarios") + "\n\n"
                          + render_table(changed.select("step", "scenario", "changes"), max_rows=60))))
changed

# %% [markdown]
# ## Which finding each fix removes
#
# One row per commit of the release data.  A `found` commit names the
# scenarios in which a checker it lists sees the defect on the release
# before and not on the release after; the others say why not.

# %%
fixes = pl.DataFrame([{"commit": r.id, "first_release": r.change.first_release, "status": r.status,
                       "checkers": r.checkers(), "before": r.before, "after": r.after,
                       "scenarios": ", ".join(s.scenario for s in r.showing) if r.status == "found" else "",
                       "why": "" if r.status == "found" else r.reason} for r in rows])
fix_chart = (
    alt.Chart(fixes)
    .mark_bar()
    .encode(x=alt.X("first_release:N", sort=list(MAINLINE_RELEASES), title="first release with the commit",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count():Q", title="commits"),
            color=alt.Color("status:N", sort=list(CLASSES), legend=alt.Legend(orient="bottom")),
            tooltip=["commit", "status", "checkers", "scenarios", "why"])
    .properties(width=140 * max(1, fixes["first_release"].n_unique()), height=220,
                title=alt.TitleParams("Each commit since 6.19: does a checker see the defect it removed?",
                                      anchor="start"))
)
n = counts(rows)
print(counts_sentence(rows))
display(save_figure(fix_chart, fixes, name="fixes",
                    caption="Fixes since 6.19: " + ", ".join(f"{n[c]} {c}" for c in CLASSES),
                    text=table_text(rows)))
fixes
