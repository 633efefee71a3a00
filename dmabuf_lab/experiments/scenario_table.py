"""Litmus verdicts as a frame, restricted to the revisions a notebook is about.

The scenarios under ``litmus/`` are read when the function runs, so a
notebook picks up every scenario, revision and variant that exists then.
"""
from __future__ import annotations

from typing import Iterable, Optional

import polars as pl

from dmabuf_lab.revisions import available_revisions, get_revision, split_target

COLUMNS = {"scenario": pl.Utf8, "question": pl.Utf8, "target": pl.Utf8, "revision": pl.Utf8,
           "variant": pl.Utf8, "expected": pl.Utf8, "observed": pl.Utf8, "step": pl.Utf8,
           "findings": pl.Utf8, "expected_findings": pl.Utf8, "ok": pl.Boolean, "detail": pl.Utf8}


def scenario_verdicts(revisions: Optional[Iterable[str]] = None, *, every_variant: bool = False,
                      also: Iterable[str] = (), paths=None) -> pl.DataFrame:
    """Run each scenario under each of its targets whose revision is in ``revisions``.

    ``revisions`` defaults to every available revision.  With
    ``every_variant`` a scenario that names a revision is also run under
    that revision's other variants (``expected`` is then null, ``ok`` null).
    ``also`` lists further ``revision[:variant]`` targets to run every
    selected scenario under (for side-by-side comparisons).
    ``findings`` and ``expected_findings`` are comma-joined kinds.
    """
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

    wanted = list(revisions) if revisions is not None else available_revisions()
    rows = []
    for path in find_scenarios(paths):
        sc = load_scenario(path)
        targets = [t for t in sc.targets() if split_target(t)[0] in wanted]
        if every_variant:
            for rev in dict.fromkeys(split_target(t)[0] for t in targets):
                for v in get_revision(rev).variants:
                    t = rev if v == "posted" else f"{rev}:{v}"
                    if t not in targets:
                        targets.append(t)
        if targets:
            targets += [t for t in also if t not in targets]
        for t in targets:
            rev, variant = split_target(t)
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, t)
            exp = sc.expect.get(t)
            exp_f = sc.findings.get(t)
            ok = None
            if exp is not None or exp_f is not None:
                ok = (exp is None or exp == v.outcome) and (
                    tuple(v.finding_kinds) == tuple(sorted(exp_f or ())))
            rows.append({"scenario": sc.name, "question": sc.question, "target": t, "revision": rev,
                         "variant": variant, "expected": exp, "observed": v.outcome, "step": v.step or "",
                         "findings": ",".join(v.finding_kinds),
                         "expected_findings": None if exp_f is None else ",".join(sorted(exp_f)),
                         "ok": ok, "detail": v.detail})
    return pl.DataFrame(rows, schema=COLUMNS)


def with_findings(frame: pl.DataFrame, column: str = "observed") -> pl.DataFrame:
    """Add ``cell``: the outcome with ``+finding`` appended when the checker found something."""
    return frame.with_columns(
        (pl.col(column) + pl.when(pl.col("findings") != "").then(" +" + pl.col("findings"))
         .otherwise(pl.lit(""))).alias("cell"))


def fault_sweep_frame(revisions: Iterable[str], paths=None) -> pl.DataFrame:
    """The litmus fault sweep for every scenario naming one of ``revisions``.

    One row per (scenario, target, failed allocation): the site of that
    allocation, the run's outcome and its class (``ok``, ``clean``,
    ``leak``, ``use-after-free``, ... ``crash``; see the litmus runner).
    """
    from dmabuf_lab.litmus.runner import fault_sweep_scenario
    from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

    wanted = list(revisions)
    rows = []
    for path in find_scenarios(paths):
        sc = load_scenario(path)
        for rev in dict.fromkeys(split_target(t)[0] for t in sc.targets()):
            if rev not in wanted:
                continue
            for r in fault_sweep_scenario(sc, rev):
                rows.append({"scenario": r.scenario, "target": r.target, "revision": rev,
                             "index": r.index, "site": r.site, "outcome": r.outcome, "result": r.result,
                             "finding": r.findings[0] if r.findings else ""})
    return pl.DataFrame(rows, schema={"scenario": pl.Utf8, "target": pl.Utf8, "revision": pl.Utf8,
                                      "index": pl.Int64, "site": pl.Utf8, "outcome": pl.Utf8,
                                      "result": pl.Utf8, "finding": pl.Utf8})
