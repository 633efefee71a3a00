"""Linux 6.19 next to Linux 7.3: every scenario that checks both, cell by cell.

:func:`side_by_side` runs the litmus scenarios that name ``mainline-6.19``
and ``mainline-7.3`` (posted variants) and returns one row per scenario
with each version's verdict (outcome plus finding kinds) and whether they
differ, so a notebook can show at a glance what changed since 6.19.
"""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments.litmus_frames import scenario_checks, with_findings

OLD, NEW = "mainline-6.19", "mainline-7.3"


def side_by_side(old: str = OLD, new: str = NEW) -> pl.DataFrame:
    """scenario, question, ``old``, ``new`` (verdict cells) and ``changed``; scenarios checking both."""
    df = with_findings(scenario_checks(revision=[old, new]))
    df = df.filter(pl.col("variant") == "posted").select("scenario", "question", "revision", "cell")
    wide = df.pivot(on="revision", index=["scenario", "question"], values="cell")
    if old not in wide.columns or new not in wide.columns:
        return wide.head(0)
    wide = wide.drop_nulls([old, new])
    return (wide.with_columns((pl.col(old) != pl.col(new)).alias("changed"))
            .sort(["changed", "scenario"], descending=[True, False]))
