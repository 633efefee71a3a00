"""dmabuf_lab.experiments.container_costs: layout and footprints checked by hand."""
from __future__ import annotations

import polars as pl
import pytest

from dmabuf_lab.experiments.container_costs import container_costs, handover_costs


@pytest.fixture(scope="module")
def costs():
    return container_costs([1, 1000], repeat=2)


def test_rows_and_operations(costs):
    assert costs.height == 4 * 3 * 2
    assert set(costs["operation"]) == {"build", "consume", "RDMA whole list"}
    assert (costs["seconds"] > 0).all()


def test_footprints_by_hand(costs):
    fp = {(r["container"], r["fragments"]): r["footprint_bytes"] for r in costs.to_dicts()}
    assert fp[("flat_list", 1000)] == 16 * 1000          # struct phys_vec {paddr, len}
    assert fp[("iterator", 1000)] == 0
    # 32-byte scatterlists, 128 per 4 KiB chunk, one slot per chained chunk lost to the link:
    # 7 chunks x 127 + 128 = 1017 >= 1000 > 6 x 127 + 128 -> 8 chunks
    assert fp[("sg_table", 1000)] == 8 * 4096
    assert fp[("sg_table", 1)] == 4096


def test_handover(costs):
    h = handover_costs(costs)
    assert h.height == 4 * 2
    row = h.filter((pl.col("container") == "flat_list") & (pl.col("fragments") == 1000)).row(0, named=True)
    c = costs.filter((pl.col("container") == "flat_list") & (pl.col("fragments") == 1000))
    sec = dict(zip(c["operation"], c["seconds"]))
    assert row["streaming_s"] == pytest.approx(sec["build"] + sec["consume"])
    assert row["whole_list_s"] == pytest.approx(sec["build"] + sec["RDMA whole list"])
