"""One small sweep through a Dask LocalCluster, by executor and by scheduler address."""
from __future__ import annotations

import polars as pl
import pytest

from dmabuf_lab.experiments.containers import container_footprint
from dmabuf_lab.experiments.sweep import Sweep

distributed = pytest.importorskip("distributed", reason="dask[distributed] is a dependency of the lab")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as c:
        yield c


def test_sweep_runs_on_a_dask_cluster(tmp_path, cluster):
    with distributed.Client(cluster) as client:
        s = Sweep(container_footprint, cache_dir=tmp_path, name="dask")
        frame = s.run({"ranges": [1, 512]}, executor=client.get_executor())
    assert s.computed == 2
    xa = frame.filter(pl.col("container") == "xarray of ranges (RFC v1)")
    # 512 ranges: 24-byte header in a 32-byte slab + 512 x 16 bytes of struct range (8192)
    # + 8 leaf nodes and 1 root node of 576 bytes
    assert xa.filter(pl.col("ranges") == 512).get_column("bytes").item() == 32 + 8192 + 9 * 576


def test_scheduler_address_reuses_the_cache(tmp_path, cluster):
    s = Sweep(container_footprint, cache_dir=tmp_path, name="dask")
    s.run({"ranges": [1]}, scheduler=cluster.scheduler_address)
    assert s.computed == 1
    frame = s.run({"ranges": [1, 2]}, scheduler=cluster.scheduler_address)
    assert (s.computed, s.reused) == (1, 1)
    assert sorted(set(frame.get_column("ranges").to_list())) == [1, 2]
