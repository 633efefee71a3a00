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
# # Litmus scenarios and fault injection
#
# A litmus scenario asks one question ("can an xe PF import its own VF's
# VRAM?", "is a range across a VRAM block edge translated right?") and
# states, per revision, the verdict the facts say it should get: a mapping
# kind, an errno, `crash` or `cannot-express`, and the exact set of finding
# kinds the kernel-runtime model must report (leak, lock, use-after-free,
# mistranslation, ...).  The expected verdicts come from the reference
# facts, the postings and the patches, never from running the models.
#
# This notebook runs every scenario in `litmus/` under every
# `revision[:variant]` it names, through the runner's API, and then runs
# each of them again once per allocation, failing that allocation, to see
# how each revision's error paths cope.  Scenario files and revisions are
# discovered at run time.

# %% [markdown] tags=["answer"]
# Every scenario in `litmus/` is checked under every revision and variant it
# names, single-thread scenarios against the verdict and finding kinds their
# files state, concurrent ones against the always / sometimes / never verdicts
# of every interleaving; the expectations are written from the facts, never
# from the models.  The counts that follow come from the scoring function
# `dmabuf-lab litmus` uses, and the fault-injection line from the table at
# the end of this page.

# %% tags=["parameters"]
small = False              # the tests and `dmabuf-lab run --small` set this
select = ""                # only scenario files whose name contains this ("" = all)
fault_limit = 0            # sweep only the first N scenarios (0 = all)

# %%
if small:
    fault_limit = 12

import textwrap

import altair as alt
import polars as pl
from IPython.display import display

from dmabuf_lab.revisions.kconfig import assumptions_text
from dmabuf_lab.experiments.litmus_frames import (check_summary, checks_frame, fault_rows, fault_summary,
                                                  fault_summary_long, load_scenarios, posted_vs_fixed_faults,
                                                  race_frame, target_order)
from dmabuf_lab.litmus.scoring import score_suite
from dmabuf_lab.experiments.negotiation_views import CLASS_COLOURS, CLASSES, outcome_class, short_names
from dmabuf_lab.figures import render_table, save_figure
from dmabuf_lab.figures.legend import drawn_scale
from dmabuf_lab.figures import use_lab_display  # noqa: E402
use_lab_display()  # chart specs kept for the offline site; frames shown as plain tables
from dmabuf_lab.litmus.runner import FAULT_CLASSES
from dmabuf_lab.revisions import REVISIONS, available_revisions

scenarios = load_scenarios(select=select or None)
revisions = available_revisions()
SHORT = short_names(list(REVISIONS))
print(f"{len(scenarios)} scenarios; revisions in this tree: {', '.join(revisions)}")

# %%
listing = pl.DataFrame([{"scenario": sc.name, "topology": sc.topology_ref, "exporter": sc.exporter.driver,
                         "importer": sc.importer.driver, "steps": " ".join(sc.steps),
                         "targets": len(sc.targets()), "question": sc.question} for sc in scenarios])
with pl.Config(tbl_rows=100, fmt_str_lengths=110):
    display(listing.select("scenario", "exporter", "importer", "targets", "question"))

# %% [markdown]
# ## Expected vs observed
#
# One row per check.  A single-thread check (scenario x target) agrees when
# the verdict *and* the finding kinds match; a concurrent one (scenario x
# target, explored over every interleaving) when every property has the
# verdict the file states.  Both are scored by `score_suite()`, the function
# behind `dmabuf-lab litmus`.

# %%
suite = score_suite(scenarios=scenarios)
checks = checks_frame(suite.checks)
races = race_frame(suite.races)
summary = check_summary(checks, races)
summary

# %%
mismatches = checks.filter(~pl.col("ok"))
race_mismatches = races.filter(~pl.col("ok"))
print(suite.summary_line())
if mismatches.height:
    display(mismatches.select("scenario", "target", "expected", "observed", "expected_findings", "findings"))
if race_mismatches.height:
    display(race_mismatches.select("scenario", "target", "expected", "observed"))

# %% [markdown]
# ## The scenario table
#
# Rows are scenarios, columns revisions.  A cell shows the verdict of the
# revision as posted (or, where the scenario only checks variants, of its
# first variant) and is coloured by class as in the negotiation matrix;
# `+N` counts the further variants the scenario checks for that revision
# (`fixed`, `fix-<bug>`, modes).  A red border marks a (scenario, revision)
# with any check that disagrees with its expectation.

# %%
checks = checks.with_columns(pl.col("target").map_elements(lambda t: target_order(t)[1], return_dtype=pl.Int64)
                             .alias("vrank"))
cells = (checks.sort("scenario", "revision", "vrank")
         .group_by("scenario", "revision", maintain_order=True)
         .agg(pl.col("observed").first().alias("observed"), pl.col("target").first().alias("shown"),
              pl.col("expected").first().alias("expected"), pl.len().alias("checks"),
              pl.col("ok").all().alias("agree"),
              pl.col("findings").first().list.join(",").alias("findings"),
              pl.col("question").first().alias("question"))
         .with_columns(pl.col("observed").map_elements(outcome_class, return_dtype=pl.Utf8).alias("class"),
                       pl.col("revision").replace_strict(SHORT).alias("rev"),
                       (pl.col("observed") + pl.when(pl.col("checks") > 1)
                        .then(pl.lit(" +") + (pl.col("checks") - 1).cast(pl.Utf8)).otherwise(pl.lit("")))
                       .alias("label")))
rev_cols = [r for r in REVISIONS if r in set(cells["revision"].to_list())]
scen_order = [sc.name for sc in scenarios if not sc.concurrent]
classes = list(CLASSES)
table_base = alt.Chart(cells).encode(
    x=alt.X("revision:N", sort=rev_cols, title=None, axis=alt.Axis(orient="top", labelAngle=-30)),
    y=alt.Y("scenario:N", sort=scen_order, title=None, axis=alt.Axis(labelLimit=0)))
table_rect = table_base.mark_rect().encode(
    color=alt.Color("class:N", title="verdict", sort=classes, legend=alt.Legend(symbolStrokeWidth=0),
                    scale=drawn_scale(classes, CLASS_COLOURS, cells["class"])),
    stroke=alt.condition(alt.datum.agree, alt.value("white"), alt.value("#d62728")),
    strokeWidth=alt.condition(alt.datum.agree, alt.value(1), alt.value(3)),
    tooltip=["scenario", "question", "shown", "expected", "observed", "findings", "checks", "agree"])
table_text = table_base.mark_text(fontSize=9).encode(text="label:N")
scenario_chart = (alt.layer(table_rect, table_text)
                  .properties(width=86 * len(rev_cols), height=15 * len(scen_order),
                              title=f"{len(scen_order)} litmus scenarios x revision: observed verdict"))
legend = "  ".join(f"{SHORT[r]}={r}" for r in rev_cols)


def scenario_lines(cells: pl.DataFrame) -> str:
    """Each scenario on one line, its verdicts per revision indented below (fits 72 columns)."""
    out = []
    for name in scen_order:
        mine = cells.filter(pl.col("scenario") == name)
        by_rev = {r: (lab, ok) for r, lab, ok in mine.select("revision", "label", "agree").iter_rows()}
        # a no-break space inside one verdict keeps it on one line when wrapped
        verdicts = "  ".join((f"{SHORT[r]} {by_rev[r][0]}" + ("" if by_rev[r][1] else " (DIFFERS)"))
                             .replace(" ", "\u00a0") for r in rev_cols if r in by_rev)
        out.append(name)
        out += [w.replace("\u00a0", " ") for w in
                textwrap.wrap(verdicts, 72, initial_indent="    ", subsequent_indent="    ",
                              break_on_hyphens=False, break_long_words=False)]
    return "\n".join(out)


save_figure(scenario_chart, checks.drop("vrank", "detail"), name="scenarios",
            caption=f"Litmus: {checks.height} checks, {int(checks['ok'].sum())} agree with the facts",
            text=scenario_lines(cells)
            + "\n\n+N = N more variants checked\n"
            + textwrap.fill(legend, 72, break_on_hyphens=False, break_long_words=False)
            + assumptions_text(checks["revision"].unique().to_list(), ["each scenario's own (litmus/*.toml)"],
                               variant_note="posted, fixed and each fix-<bug>"))

# %%
summary_chart = (
    alt.Chart(summary.unpivot(index=["revision"], on=["agree", "differ"], variable_name="status",
                              value_name="n"))
    .mark_bar()
    .encode(y=alt.Y("revision:N", sort=rev_cols, title=None), x=alt.X("n:Q", title="checks"),
            color=alt.Color("status:N", scale=alt.Scale(domain=["agree", "differ"],
                                                         range=["#54a24b", "#d62728"])),
            tooltip=["revision", "status", "n"])
    .properties(width=380, height=22 * summary.height, title="Litmus checks per revision")
)
save_figure(summary_chart, summary, name="summary",
            caption="Litmus checks per revision: how many agree with the facts",
            text=render_table(summary))

# %% [markdown]
# ## Concurrent scenarios
#
# A scenario with `[threads]` has no single run to score: the race explorer
# runs every distinct interleaving of its threads and gives each property
# (a finding kind, a crash) `always`, `sometimes` or `never`.  `13_races`
# shows the interleavings themselves.

# %%
races.select("scenario", "target", "interleavings", "expected", "observed", "ok")

# %% [markdown]
# ## Fault injection
#
# For each scenario and each target it names, one unfaulted run counts the
# allocations; then run *i* fails allocation *i* (`Kernel(fail_nth=i)`) and
# is classified:
#
# * `ok` -- the failure was absorbed and the run ended as the unfaulted one;
# * `clean` -- the run ended in an error and nothing new was found;
# * `leak`, `use-after-free`, `double-free`, `bad-free` -- the worst new
#   finding the error path left behind;
# * `crash` -- an oops the unfaulted run did not have.
#
# Findings the unfaulted run already had are not blamed on the injected
# failure.

# %%
swept = scenarios[:fault_limit] if fault_limit else scenarios
faults = fault_rows(scenarios=swept)
by_target = fault_summary(faults)
by_revision = fault_summary(faults, by="revision")
by_revision

# %%
long = fault_summary_long(by_target)
targets_sorted = by_target["target"].to_list()
FAULT_COLOURS = dict(zip(FAULT_CLASSES, ["#54a24b", "#88d27a", "#f58518", "#e45756", "#b279a2", "#9d755d",
                                          "#000000"]))
fault_chart = (
    alt.Chart(long)
    .mark_bar()
    .encode(y=alt.Y("target:N", sort=targets_sorted, title=None, axis=alt.Axis(labelLimit=0)),
            x=alt.X("runs:Q", title="injected allocation failures"),
            color=alt.Color("class:N", title="ended", sort=list(FAULT_CLASSES),
                            scale=drawn_scale(FAULT_CLASSES, FAULT_COLOURS, long["class"])),
            order=alt.Order("class_rank:Q"),
            tooltip=["target", "class", "runs"])
    .properties(width=460, height=16 * len(targets_sorted),
                title=f"Fault injection per revision and variant ({len(swept)} scenarios)")
)
compact = {"use-after-free": "uaf", "double-free": "2free", "bad-free": "badfree", "injected": "runs"}
display(save_figure(fault_chart, by_target, name="faults",
                    caption=f"Fault injection over {len(swept)} scenarios, per revision",
                    text=render_table(by_revision.with_columns(pl.col("revision").replace_strict(SHORT).alias("revision"))
                                      .rename(compact))))
by_target

# %% [markdown]
# The sweep above runs each scenario under the targets it names, so a
# revision's `fixed` variant is swept only where a scenario checks it.  For
# a like-for-like comparison, the next sweep runs every scenario of each
# revision that declares bugs both as posted and as fixed.

# %%
paired = posted_vs_fixed_faults(swept)
paired_sum = fault_summary(paired)
paired_long = fault_summary_long(paired_sum).with_columns(
    pl.col("target").str.split(":").list.first().alias("revision"),
    pl.when(pl.col("target").str.contains(":fixed")).then(pl.lit("fixed")).otherwise(pl.lit("posted"))
    .alias("variant"))
paired_chart = (
    alt.Chart(paired_long)
    .mark_bar()
    .encode(y=alt.Y("variant:N", sort=["posted", "fixed"], title=None),
            x=alt.X("runs:Q", title="injected allocation failures"),
            color=alt.Color("class:N", title="ended", sort=list(FAULT_CLASSES),
                            scale=drawn_scale(FAULT_CLASSES, FAULT_COLOURS, paired_long["class"])),
            order=alt.Order("class_rank:Q"),
            row=alt.Row("revision:N", sort=[r for r in REVISIONS], title=None,
                        header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["target", "class", "runs"])
    .properties(width=420, height=36, title="Posted vs fixed, same scenarios")
)
paired_text = paired_sum.with_columns(
    pl.col("target").map_elements(lambda t: SHORT.get(t.split(":")[0], t) + (":fixed" if ":fixed" in t else ""),
                                  return_dtype=pl.Utf8)).rename(compact)
display(save_figure(paired_chart, paired_sum, name="posted_vs_fixed",
                    caption="Fault injection, posted vs fixed over the same scenarios",
                    text=render_table(paired_text) + assumptions_text(
                        checks["revision"].unique().to_list(), ["each scenario's own (litmus/*.toml)"],
                        variant_note="posted and fixed, side by side")))
paired_sum

# %% [markdown]
# ## The failures that did not end clean
#
# Grouped by target, class, the allocation that was failed and what was left
# behind.  Each row is an error path to read.

# %%
bad = (pl.concat([faults, paired]).unique(subset=["scenario", "target", "index"])
       .filter(~pl.col("result").is_in(["ok", "clean"]))
       .with_columns(pl.col("site").str.extract(r"(\w+)\s*$").alias("failed_in"),
                     pl.col("findings").list.eval(pl.element().str.extract(r"never freed at \S+ (\w+)"))
                     .list.drop_nulls().list.unique().list.join(", ").alias("leaked_from"))
       .group_by("target", "result", "failed_in", "leaked_from")
       .agg(pl.len().alias("runs"), pl.col("scenario").unique().sort().alias("scenarios"))
       .sort("target", "runs", "result", "failed_in", "leaked_from",
             descending=[False, True, False, False, False]))
bad

# %% tags=["answer"]
from IPython.display import Markdown

dirty = bad.group_by("target").agg(pl.col("runs").sum(), pl.col("result").unique().sort().str.join(", "))
dirty_rows = sorted(dirty.iter_rows(), key=lambda row: target_order(row[0]))
faults_line = (f"Under fault injection ({len(swept)} scenarios swept) every error path ends clean."
               if not dirty_rows else
               f"Under fault injection ({len(swept)} scenarios swept) the error paths end clean except under "
               + "; ".join(f"`{t}` ({n} runs: {r})" for t, n, r in dirty_rows)
               + "; the last table lists each of them.")
display(Markdown(f"**{suite.summary_line()}** ({len(suite.checks)} single-run checks, "
                 f"{len(suite.races)} race checks).  {faults_line}"))

# %% [markdown]
# ## Explaining one verdict
#
# `dmabuf-lab litmus FILE -v` shows, per revision, the path the modelled
# kernel took (as kernel function names, nested by call depth), the
# addresses one side handed the other (sg entries, physical ranges, DPAs)
# and, for each finding, the kernel call chain that allocated the leaked
# object or took the lock.  The same for the scatterlist leak of
# `dma_buf_phys_vec_to_sgt()` under the newest mainline the lab models:

# %%
from dmabuf_lab.litmus.explain import explain_run, render
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.paths import lab_root
from dmabuf_lab.revisions import canonical

example = load_scenario(lab_root() / "litmus" / "mainline-sgt-helper-leak.toml")
verdict, why = explain_run(lambda: run_once(example.fresh_topology(), example.exporter, example.importer,
                                            example.steps, canonical("mainline")))
print(f"# {example.name} [{canonical('mainline')}]")
print("\n".join(render(verdict, why)))
