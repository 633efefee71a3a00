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
# # Races: revoke, invalidate, move and map, every interleaving
#
# Which races between an exporter's revoke or move and an importer's map
# and use can happen under each revision, and what does the shortest
# interleaving that shows one look like?
#
# Each concurrent scenario in `litmus/` (`race-*.toml`) gives two or more
# threads of steps.  The explorer runs every distinct interleaving of them
# (pruning orders of independent steps with DPOR and sleep sets) and
# checks each for a use of addresses after the revoke completed, a mapping
# handed out for a revoked buffer, a failing lock assertion, a deadlock and
# a mapping left behind, next to the kernel-runtime model's own findings.
# A property's verdict is `always`, `sometimes` or `never`, as herd7 says
# of an outcome; a search cut by its bound proves neither `always` nor
# `never`, and a property it did not see fail reads `not seen`.  The expected verdicts are written in the scenario files
# from the postings and commits; `dmabuf-lab litmus litmus/race-*.toml`
# checks them, and this notebook draws them.

# %% [markdown] tags=["answer"]
# Under Linux 6.19 an importer can still run DMA through a vfio BAR after
# vfio's revoke has returned (`use-after-revoke`: sometimes); under
# mainline-7.1 and later, whose revoke waits for the importers' fences and for the
# invalidation to complete (1a8a5227f229), it never can.  The 2026-02
# mapping-type RFC as posted hands out a physical list for a revoked BAR
# (`map-after-revoke`), and iommufd then uses it; its fixed variant checks
# `revoked` and neither happens.  xe moving a buffer while an importer maps
# it shows no race in the model.  The last chart draws the 6.19 race.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
select = ""                # only scenario files whose name contains this ("" = all)

# %%
import altair as alt
import polars as pl
from IPython.display import display

from dmabuf_lab.experiments.race_frames import concurrent_scenarios, race_checks, shortest_trace, verdict_rows
from dmabuf_lab.figures import render_table, save_figure
from dmabuf_lab.figures.legend import drawn_scale
from dmabuf_lab.litmus.race_trace import rows_text
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables

scenarios = concurrent_scenarios(select or None)
checks = race_checks(scenarios)
verdicts = verdict_rows(checks)
explored = sum(c.result.executions for c in checks if c.result is not None)
agree = sum(c.ok for c in checks)
print(f"{len(scenarios)} concurrent scenarios, {len(checks)} scenario x revision checks "
      f"({agree} agree with the files), {explored} interleavings explored")
differ = verdicts.filter(pl.col("verdict") != pl.col("expected"))
if differ.height:
    display(differ)
else:
    print("every property has the verdict its scenario file states")

# %% [markdown]
# ## Which races each revision allows
#
# One cell per scenario, revision and property: red where some interleaving
# fails the property, dark red where every one does, grey where none does.

# %%
COLOURS = {"always": "#8b0000", "sometimes": "#d62728", "not seen": "#9ecae1", "never": "#d9d9d9", "error": "#000000"}
grid = verdicts.with_columns((pl.col("scenario").str.replace("^race-", "") + " / " + pl.col("property"))
                             .alias("question"))
race_chart = (
    alt.Chart(grid)
    .mark_rect(stroke="white")
    .encode(x=alt.X("target:N", title=None, axis=alt.Axis(labelAngle=-40, labelLimit=400)),
            y=alt.Y("question:N", title=None, axis=alt.Axis(labelLimit=420)),
            color=alt.Color("verdict:N", scale=drawn_scale(list(COLOURS), COLOURS, grid["verdict"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=["scenario", "target", "property", "verdict", "expected", "interleavings"])
    .properties(width=44 * max(1, grid["target"].n_unique()), height=16 * max(1, grid["question"].n_unique()),
                title=alt.TitleParams("Race properties per revision over every interleaving", anchor="start"))
)
possible = (verdicts.filter(pl.col("verdict") != "never")
            .select("scenario", "target", "property", "verdict", "interleavings"))
save_figure(race_chart, verdicts, name="races",
            caption=f"Race verdicts: {len(scenarios)} scenarios, {explored} interleavings",
            text=render_table(possible) if possible.height else "no property fails in any interleaving")

# %% [markdown]
# ## One trace: the 6.19 revoke race
#
# The shortest interleaving in which the importer's DMA reaches the BAR
# after vfio's revoke has turned memory decoding off, one column per
# thread, one row per step, each named by the kernel function that ran it.

# %%
def first_failing(scenario: str, target: str, prop: str):
    for c in checks:
        if c.scenario.name == scenario and c.target == target and c.result and prop in c.result.shortest:
            return c
    return None


shown = first_failing("race-vfio-revoke-vs-dma", "mainline-6.19", "use-after-revoke")
if shown is None:   # a narrowed run (select=...): draw the first race found instead
    shown = next((c for c in checks if c.result and c.result.shortest), None)
prop = "use-after-revoke" if shown is not None and "use-after-revoke" in shown.result.shortest else (
    sorted(shown.result.shortest)[0] if shown is not None else None)
trace = shortest_trace(shown, prop) if shown is not None else pl.DataFrame()
if trace.height:
    # each step as its function and its action on two lines, names whole, columns as wide as the longest
    trace = trace.with_columns((pl.col("function") + ":").alias("line1"), pl.col("action").alias("line2"))
    longest = max(max(len(x) for x in trace["line1"]), max(len(x) for x in trace["line2"]))
    col_px = int(longest * 6.4) + 24
    trace_chart = (
        alt.Chart(trace)
        .transform_calculate(what="[datum.line1, '  ' + datum.line2]")
        .mark_text(align="left", baseline="top", dx=-col_px / 2 + 6, dy=-12, fontSize=11, lineHeight=13)
        .encode(x=alt.X("thread:N", title=None, axis=alt.Axis(orient="top", labelAngle=0)),
                y=alt.Y("step:O", title="step"), text="what:N",
                color=alt.Color("thread:N", legend=None),
                tooltip=["step", "thread", "function", "action"])
        .properties(width=col_px * trace["thread"].n_unique(), height=30 * trace.height,
                    title=f"{shown.scenario.name} under {shown.target}: {prop}")
    )
    display(save_figure(trace_chart, trace.drop("line1", "line2"), name="trace",
                        caption=f"{prop}: {shown.scenario.name} ({shown.target})",
                        text=rows_text(trace.select("step", "thread", "function", "action").to_dicts(),
                                       width=72)))
