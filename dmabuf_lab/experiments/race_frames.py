"""Concurrent litmus scenarios as Polars frames: verdicts per property and drawn traces."""
from __future__ import annotations

from typing import Optional

import polars as pl

from dmabuf_lab.litmus.race_check import RaceCheck, check_all_races
from dmabuf_lab.litmus.race_trace import trace_rows
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

VERDICT_SCHEMA = {"scenario": pl.Utf8, "target": pl.Utf8, "property": pl.Utf8, "verdict": pl.Utf8,
                  "expected": pl.Utf8, "interleavings": pl.Int64, "bound_hit": pl.Boolean}
TRACE_SCHEMA = {"step": pl.Int64, "tid": pl.Int64, "thread": pl.Utf8, "function": pl.Utf8, "action": pl.Utf8}


def concurrent_scenarios(select: Optional[str] = None) -> list:
    """Every scenario under litmus/ with a [threads] table (name containing ``select``)."""
    out = []
    for path in find_scenarios(None):
        if select and select not in path.stem:
            continue
        sc = load_scenario(path)
        if sc.concurrent:
            out.append(sc)
    return out


def race_checks(scenarios: list, **where) -> list[RaceCheck]:
    """Explore every target each scenario names: here, or where ``where`` (``executor`` /
    ``scheduler`` / ``workers`` / ``cache``) or ``$DMABUF_LAB_SCHEDULER`` says
    (:func:`~dmabuf_lab.litmus.race_check.check_all_races`)."""
    return check_all_races(scenarios, **where)


def verdict_rows(checks: list[RaceCheck]) -> pl.DataFrame:
    """One row per scenario x target x property that any target of the scenario can fail."""
    props_of: dict[str, set] = {}
    for c in checks:
        props_of.setdefault(c.scenario.name, set()).update(c.observed, c.expected)
    # a bounded search proves no "never": its unseen properties read "not seen", not "never"
    rows = []
    for c in checks:
        r = c.result
        for prop in sorted(props_of[c.scenario.name]):
            rows.append({"scenario": c.scenario.name, "target": c.target, "property": prop,
                         "verdict": c.verdict(prop) if r else "error",
                         "expected": c.expected.get(prop, "never"),
                         "interleavings": r.executions if r else 0, "bound_hit": bool(r and r.bound_hit)})
    return pl.DataFrame(rows, schema=VERDICT_SCHEMA)


def shortest_trace(check: RaceCheck, prop: str) -> pl.DataFrame:
    """The shortest interleaving of ``check`` in which ``prop`` failed, one row per transition."""
    ex = check.result.shortest[prop] if check.result is not None else None
    if ex is None:
        return pl.DataFrame(schema=TRACE_SCHEMA)
    return pl.DataFrame(trace_rows(ex), schema=TRACE_SCHEMA)


__all__ = ["concurrent_scenarios", "race_checks", "verdict_rows", "shortest_trace"]
