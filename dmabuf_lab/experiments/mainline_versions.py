"""The mainline releases side by side: every scenario that checks them, cell by cell.

:func:`side_by_side` runs the litmus scenarios that name two releases
(by default ``mainline-6.19`` and ``mainline-7.3-rc6``, posted variants)
and returns one row per scenario with each release's verdict (outcome plus
finding kinds) and whether they differ; :func:`releases_side_by_side` does
the same for all four releases, with ``changed`` true where any differs.
"""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments.litmus_frames import scenario_checks, with_findings

from dmabuf_lab.revisions import MAINLINE_RELEASES

OLD, NEW = MAINLINE_RELEASES[0], MAINLINE_RELEASES[-1]


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


def releases_side_by_side(releases: tuple = MAINLINE_RELEASES) -> pl.DataFrame:
    """scenario, question, one verdict column per release and ``changed`` (any two differ);
    scenarios that check every release in ``releases``."""
    df = with_findings(scenario_checks(revision=list(releases)))
    df = df.filter(pl.col("variant") == "posted").select("scenario", "question", "revision", "cell")
    wide = df.pivot(on="revision", index=["scenario", "question"], values="cell")
    if any(r not in wide.columns for r in releases):
        return wide.head(0)
    wide = wide.drop_nulls(list(releases))
    changed = pl.concat_list([pl.col(r) for r in releases]).list.n_unique() > 1
    return wide.with_columns(changed.alias("changed")).sort(["changed", "scenario"], descending=[True, False])
