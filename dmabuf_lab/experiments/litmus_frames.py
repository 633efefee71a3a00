"""The litmus scenarios and the fault-injection sweep, as Polars frames.

:func:`scenario_checks` runs every scenario under every target it names
(``revision`` or ``revision:variant``) through the litmus runner's API and
returns one row per check, optionally restricted to some revisions and
widened to further variants (:func:`with_findings` adds a printable cell);
:func:`fault_rows` fails each allocation of each run in turn (as tasks
that run on local processes or a Dask cluster, see
:mod:`dmabuf_lab.litmus.fault_tasks`);
:func:`fault_summary` counts how those injected failures ended, per target.
Nothing here shells out: the frames come from :mod:`dmabuf_lab.litmus.runner`
and the scenario files are read when a function runs, so new scenario files
and new revisions show up without changes here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Union

import polars as pl

from dmabuf_lab.litmus.fault_tasks import fault_sweep, sweep_pairs
from dmabuf_lab.litmus.runner import FAULT_CLASSES, Check, check_target, run_once, selected_targets
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario
from dmabuf_lab.revisions import POSTED, REVISIONS, get_revision, split_target

CHECK_SCHEMA = {
    "scenario": pl.Utf8, "target": pl.Utf8, "revision": pl.Utf8, "variant": pl.Utf8,
    "topology": pl.Utf8, "exporter": pl.Utf8, "importer": pl.Utf8,
    "expected": pl.Utf8, "observed": pl.Utf8, "expected_findings": pl.List(pl.Utf8),
    "findings": pl.List(pl.Utf8), "outcome_ok": pl.Boolean, "findings_ok": pl.Boolean, "ok": pl.Boolean,
    "step": pl.Utf8, "question": pl.Utf8, "source": pl.Utf8, "detail": pl.Utf8,
}

#: A revision name, ``revision:variant``, or a collection of revision names.
Revisions = Optional[Union[str, Iterable[str]]]


def target_order(target: str) -> tuple:
    """Sort key: revisions in posting order, the posted variant first, then fixed, then the rest."""
    rev, variant = split_target(target)
    rank = list(REVISIONS).index(rev) if rev in REVISIONS else len(REVISIONS)
    vrank = {"posted": 0, "fixed": 1}.get(variant, 2)
    return rank, vrank, variant


def load_scenarios(paths: Optional[Iterable] = None, *, select: Optional[str] = None) -> list:
    """Every scenario under ``paths`` (default: the repository's ``litmus/``).

    ``select`` keeps only the files whose name contains that text.
    """
    files = find_scenarios(list(paths) if paths else None)
    if select:
        files = [f for f in files if select in Path(f).stem]
    return [load_scenario(f) for f in files]


def scenario_targets(sc, revision: Revisions = None) -> list[str]:
    """The targets of ``sc`` that ``revision`` selects: the runner's rule for one name
    (or ``revision:variant``), membership for a collection, all for None."""
    if revision is None or isinstance(revision, str):
        return selected_targets(sc, revision)
    wanted = set(revision)
    return [t for t in sc.targets() if split_target(t)[0] in wanted]


def scenario_checks(paths: Optional[Iterable] = None, *, revision: Revisions = None,
                    select: Optional[str] = None, scenarios: Optional[list] = None,
                    every_variant: bool = False, also: Iterable[str] = ()) -> pl.DataFrame:
    """One row per (scenario, target): expected vs observed verdict and finding kinds.

    ``revision`` selects targets (see :func:`scenario_targets`).  With
    ``every_variant`` a scenario is also run under the other variants of each
    selected revision; ``also`` lists further ``revision[:variant]`` targets to
    run every selected scenario under (for side-by-side comparisons).  Rows
    for targets the scenario does not check have null expectations and null
    ``outcome_ok`` / ``findings_ok`` / ``ok``.  Concurrent scenarios have no
    single run to score and are left out (see :func:`race_frame`); checked
    targets are scored by the runner's :func:`check_target`, as ``dmabuf-lab
    litmus`` scores them.
    """
    rows = []
    for sc in scenarios if scenarios is not None else load_scenarios(paths, select=select):
        if sc.concurrent:
            continue
        checked = scenario_targets(sc, revision)
        targets = list(checked)
        if every_variant:
            for rev in dict.fromkeys(split_target(t)[0] for t in checked):
                for variant in get_revision(rev).variants:
                    t = rev if variant == POSTED else f"{rev}:{variant}"
                    if t not in targets:
                        targets.append(t)
        if targets:
            targets += [t for t in also if t not in targets]
        for t in targets:
            if t in sc.targets():
                rows.append(_check_row(sc, check_target(sc, t), checked=True))
                continue
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, t)
            rows.append(_check_row(sc, Check(sc, t, v, None, None), checked=False))
    return pl.DataFrame(rows, schema=CHECK_SCHEMA)


def checks_frame(checks: list) -> pl.DataFrame:
    """The runner's :class:`Check` objects (``score_suite(...).checks``) as rows of
    :func:`scenario_checks`'s schema, without running anything again."""
    return pl.DataFrame([_check_row(c.scenario, c, checked=True) for c in checks], schema=CHECK_SCHEMA)


RACE_SCHEMA = {"scenario": pl.Utf8, "target": pl.Utf8, "revision": pl.Utf8, "variant": pl.Utf8,
               "interleavings": pl.Int64, "expected": pl.Utf8, "observed": pl.Utf8, "ok": pl.Boolean,
               "question": pl.Utf8}


def _verdicts_text(verdicts: dict) -> str:
    return "; ".join(f"{p}={v}" for p, v in sorted(verdicts.items()) if v != "never") or "-"


def race_frame(races: list) -> pl.DataFrame:
    """One row per concurrent scenario x target (``score_suite(...).races``): the
    properties expected and observed (``never`` left out) and whether they agree."""
    rows = []
    for c in races:
        rev, variant = split_target(c.target)
        rows.append({"scenario": c.scenario.name, "target": c.target, "revision": rev, "variant": variant,
                     "interleavings": c.result.executions if c.result else 0,
                     "expected": _verdicts_text(c.expected),
                     "observed": c.error or _verdicts_text(c.observed), "ok": c.ok,
                     "question": c.scenario.question})
    return pl.DataFrame(rows, schema=RACE_SCHEMA)


def _check_row(sc, c: Check, checked: bool) -> dict:
    rev, variant = split_target(c.target)
    v = c.verdict
    return {
        "scenario": sc.name, "target": c.target, "revision": rev, "variant": variant,
        "topology": sc.topology_ref, "exporter": sc.exporter.driver, "importer": sc.importer.driver,
        "expected": c.expected, "observed": v.outcome,
        "expected_findings": list(c.expected_findings or ()) if checked else None,
        "findings": list(v.finding_kinds),
        "outcome_ok": c.outcome_ok if checked else None, "findings_ok": c.findings_ok if checked else None,
        "ok": c.ok if checked else None,
        "step": v.step or "", "question": sc.question, "source": sc.source, "detail": v.detail,
    }


def with_findings(frame: pl.DataFrame, column: str = "observed") -> pl.DataFrame:
    """Add ``cell``: ``column`` with `` +kind,kind`` appended when the checker found something.

    ``findings`` may be a list of kinds (the frames here) or a comma-joined string.
    """
    found = pl.col("findings")
    if frame.schema["findings"] != pl.Utf8:
        found = found.list.join(",")
    return frame.with_columns(
        (pl.col(column) + pl.when(found != "").then(" +" + found).otherwise(pl.lit(""))).alias("cell"))


def check_summary(checks: pl.DataFrame, races: Optional[pl.DataFrame] = None) -> pl.DataFrame:
    """Per revision: scenarios touched, checks run, how many agree and how many differ
    (race checks of :func:`race_frame` counted with the others when given).  Rows
    with a null ``ok`` (targets run for comparison, not checked) are not counted."""
    both = checks.filter(pl.col("ok").is_not_null()).select("revision", "scenario", "ok")
    if races is not None and races.height:
        both = pl.concat([both, races.select("revision", "scenario", "ok")])
    out = (both.group_by("revision")
           .agg(pl.col("scenario").n_unique().alias("scenarios"), pl.len().alias("checks"),
                pl.col("ok").sum().alias("agree"), (~pl.col("ok")).sum().alias("differ")))
    order = {r: i for i, r in enumerate(REVISIONS)}
    return (out.with_columns(pl.col("revision").replace_strict(order, default=len(order)).alias("_o"))
            .sort("_o").drop("_o"))


FAULT_SCHEMA = {"scenario": pl.Utf8, "target": pl.Utf8, "revision": pl.Utf8, "variant": pl.Utf8,
                "index": pl.Int64, "site": pl.Utf8, "outcome": pl.Utf8, "result": pl.Utf8,
                "findings": pl.List(pl.Utf8)}


def fault_rows(paths: Optional[Iterable] = None, *, revision: Revisions = None,
               select: Optional[str] = None, scenarios: Optional[list] = None,
               **where) -> pl.DataFrame:
    """One row per injected allocation failure: where it failed and how the run ended.

    ``result`` is one of :data:`dmabuf_lab.litmus.runner.FAULT_CLASSES`;
    findings the unfaulted run already had are not blamed on the failure.
    The runs are tasks of :func:`dmabuf_lab.litmus.fault_tasks.fault_sweep`;
    ``where`` passes its ``executor`` / ``scheduler`` / ``workers`` / ``cache``
    (by default local processes, or the cluster ``$DMABUF_LAB_SCHEDULER``
    names, with the build folder's cache).
    """
    pairs = []
    for sc in scenarios if scenarios is not None else load_scenarios(paths, select=select):
        for rev in _sweep_revisions(sc, revision):
            pairs += sweep_pairs(sc, rev)
    return pl.DataFrame([_fault_row(r) for r in fault_sweep(pairs, **where)], schema=FAULT_SCHEMA)


def _fault_row(r) -> dict:
    rev, variant = split_target(r.target)
    return {"scenario": r.scenario, "target": r.target, "revision": rev, "variant": variant,
            "index": r.index, "site": str(r.site), "outcome": r.outcome, "result": r.result,
            "findings": list(r.findings)}


def _sweep_revisions(sc, revision: Revisions) -> list:
    """What to pass to the runner's fault sweep for ``sc``: ``revision`` itself, or each
    revision of a collection that the scenario names."""
    if revision is None or isinstance(revision, str):
        return [revision]
    wanted = set(revision)
    return [r for r in dict.fromkeys(split_target(t)[0] for t in sc.targets()) if r in wanted]


def fault_summary(rows: pl.DataFrame, *, by: str = "target") -> pl.DataFrame:
    """Counts per ``by`` (target or revision) and fault class, wide: one column per class."""
    counts = {c: [] for c in FAULT_CLASSES}
    keys = sorted(set(rows[by].to_list()), key=target_order)
    injected = []
    for key in keys:
        sub = rows.filter(pl.col(by) == key)
        injected.append(sub.height)
        for c in FAULT_CLASSES:
            counts[c].append(int((sub["result"] == c).sum()))
    return pl.DataFrame({by: keys, "injected": injected, **counts},
                        schema={by: pl.Utf8, "injected": pl.Int64, **{c: pl.Int64 for c in FAULT_CLASSES}})


def fault_summary_long(summary: pl.DataFrame, *, by: str = "target") -> pl.DataFrame:
    """The wide summary as (key, class, runs) rows, classes in FAULT_CLASSES order, zeros dropped."""
    long = summary.unpivot(index=[by], on=list(FAULT_CLASSES), variable_name="class", value_name="runs")
    rank = {c: i for i, c in enumerate(FAULT_CLASSES)}
    return (long.filter(pl.col("runs") > 0)
            .with_columns(pl.col("class").replace_strict(rank, return_dtype=pl.Int64).alias("class_rank")))


def fault_rows_for_targets(scenarios: list, targets: Iterable[str], **where) -> pl.DataFrame:
    """The fault sweep of each scenario under the given ``targets``, whether or not it names them.

    Same protocol as the runner's sweep (one unfaulted run counts the
    allocations, then run ``i`` fails allocation ``i``), so a posted and a
    fixed variant can be compared over the very same scenarios.  A scenario
    the target cannot express or run is skipped.  ``where``: as for
    :func:`fault_rows`.
    """
    targets = list(targets)
    rows = fault_sweep([(sc, t) for sc in scenarios for t in targets], **where)
    return pl.DataFrame([_fault_row(r) for r in rows], schema=FAULT_SCHEMA)


def scenarios_naming(scenarios: list, revision: str) -> list:
    """The scenarios that check ``revision`` in any variant."""
    return [sc for sc in scenarios if any(split_target(t)[0] == revision for t in sc.targets())]


def posted_vs_fixed_faults(scenarios: list, revisions: Optional[Iterable[str]] = None,
                           **where) -> pl.DataFrame:
    """For every revision that declares bugs: its scenarios swept as posted and as fixed.

    Revisions without bugs have no fixed variant and are swept as posted
    only.  All of it is one fault sweep (``where``: as for :func:`fault_rows`).
    """
    from dmabuf_lab.revisions import available_revisions, get_revision

    pairs = []
    for rev in revisions if revisions is not None else available_revisions():
        targets = [rev] + ([f"{rev}:fixed"] if get_revision(rev).bugs else [])
        pairs += [(sc, t) for sc in scenarios_naming(scenarios, rev) for t in targets]
    return pl.DataFrame([_fault_row(r) for r in fault_sweep(pairs, **where)], schema=FAULT_SCHEMA)
