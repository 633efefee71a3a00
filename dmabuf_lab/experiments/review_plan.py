"""The 2026 mapping-type review plan as a table: which importer/exporter pairs each step serves.

:func:`review_plan_pairs` runs attach -> map -> unmap -> detach for every
exporter/importer driver pair the matrix uses, under each stage of
``mapping-types-2026-05`` (steps 1-3 and Christian König's
dma_buf_map_attachment_iommu()), next to Linux 7.3, and returns one row
per (stage, exporter, importer).  :func:`served` condenses it: per pair,
the stages in which the importer gets a mapping at all.  KVM never does,
which is the point Xu Yilun made in May 2026.
"""
from __future__ import annotations

from typing import Iterable

import polars as pl

from dmabuf_lab.experiments.negotiation import default_exporter, default_importer, pair_rows
from dmabuf_lab.revisions.base import MAPPING_KINDS

REVIEW = "mapping-types-2026-05"
#: The stages in plan order, then the alternative, then today's mainline for reference.
STAGES = (f"{REVIEW}:step1", f"{REVIEW}:step2", f"{REVIEW}:step3", f"{REVIEW}:map-attachment-iommu",
          "mainline-7.3-rc6")


def review_plan_pairs(topology: str = "gpu-nic-same-switch", stages: Iterable[str] = STAGES) -> pl.DataFrame:
    """One row per (stage, exporter, importer) on ``topology``: outcome, findings, failing step."""
    from dmabuf_lab.hw import load_topology

    rows = []
    for target in stages:
        for r in pair_rows(target, lambda: load_topology(topology), topology, default_exporter, default_importer):
            rows.append({"stage": target.split(":", 1)[-1] if target.startswith(REVIEW) else target,
                         "exporter": r["exporter"], "importer": r["importer"], "outcome": r["outcome"],
                         "findings": r["findings"], "step": r["step"]})
    return pl.DataFrame(rows, schema={"stage": pl.Utf8, "exporter": pl.Utf8, "importer": pl.Utf8,
                                      "outcome": pl.Utf8, "findings": pl.List(pl.Utf8), "step": pl.Utf8})


def served(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per (exporter, importer): the stages whose outcome is a mapping (not an errno, not cannot-express)."""
    ok = pairs.filter(pl.col("outcome").is_in(list(MAPPING_KINDS)))
    every = pairs.select("exporter", "importer").unique()
    got = ok.group_by("exporter", "importer").agg(pl.col("stage").alias("served_by"))
    return (every.join(got, on=["exporter", "importer"], how="left")
            .with_columns(pl.col("served_by").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
            .sort("exporter", "importer"))
