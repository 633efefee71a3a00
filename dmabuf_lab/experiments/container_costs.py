"""Time to build and consume each address carrier, as frames.

``dmabuf_lab.kernels.containers.measure_containers`` times compiled loops
over numpy models of the four carriers the RFC v1 review compared (sg_table,
xarray of ranges, flat phys_vec list, first/next iterator): the exporter
building one, an importer walking it once, and an RDMA importer that needs
the whole list first (a mask pass, then a fill pass).  This module lays the
measurements out for the containers notebook.
"""
from __future__ import annotations

import polars as pl

from dmabuf_lab.kernels.containers import CONTAINERS, measure_containers

OPERATIONS = {"build_s": "build", "consume_s": "consume", "rdma_s": "RDMA whole list"}


def container_costs(sizes=(1, 10, 100, 1_000, 10_000, 100_000, 1_000_000), repeat: int = 5,
                    seed: int = 0) -> pl.DataFrame:
    """Long form, measured when called: container, fragments, operation, seconds,
    ns per fragment, and the carrier's footprint in bytes."""
    rows = measure_containers(tuple(int(n) for n in sizes), repeat=repeat, seed=seed)
    out = []
    for r in rows:
        for key, op in OPERATIONS.items():
            out.append({"container": r["container"], "fragments": r["fragments"], "operation": op,
                        "seconds": r[key], "ns_per_fragment": 1e9 * r[key] / r["fragments"],
                        "footprint_bytes": r["footprint_bytes"]})
    return pl.DataFrame(out)


def handover_costs(costs: pl.DataFrame) -> pl.DataFrame:
    """Per container and size: build + consume (a streaming importer) and build + RDMA
    (an importer that needs the whole list), plus how much the whole-list case costs
    over the streaming one."""
    wide = costs.pivot(on="operation", index=["container", "fragments"], values="seconds")
    return (wide.with_columns((pl.col("build") + pl.col("consume")).alias("streaming_s"),
                              (pl.col("build") + pl.col("RDMA whole list")).alias("whole_list_s"))
            .with_columns((pl.col("whole_list_s") / pl.col("streaming_s")).alias("whole_list_over_streaming"))
            .select("container", "fragments", "streaming_s", "whole_list_s", "whole_list_over_streaming")
            .sort("container", "fragments"))


__all__ = ["CONTAINERS", "OPERATIONS", "container_costs", "handover_costs"]
