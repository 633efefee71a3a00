"""Container cost model: layout arithmetic by hand, walks return what went in."""
import numpy as np
import pytest

from dmabuf_lab.kernels.containers import (CONTAINERS, _Carrier, footprint_bytes, measure_containers,
                                           sg_chunks_needed, xa_nodes_needed)


@pytest.mark.parametrize("n,chunks", [(1, 1), (128, 1), (129, 2), (127 + 128, 2), (127 + 128 + 1, 3)])
def test_sg_chunks(n, chunks):
    # a full chunk that is not the last gives its last slot to the chain link: 127 + 127 + ... + 128
    assert sg_chunks_needed(n) == chunks


@pytest.mark.parametrize("n,nodes", [(1, 0), (2, 1), (64, 1), (65, 3), (4096, 65), (4097, 68)])
def test_xa_nodes(n, nodes):
    assert xa_nodes_needed(n) == nodes


def test_footprints():
    assert footprint_bytes("flat_list", 1000) == 16_000
    assert footprint_bytes("sg_table", 1000) == 8 * 4096  # 1000 entries -> 8 chunks of 127 (+1)
    assert footprint_bytes("xarray", 1000) == 17 * 576 + 1000 * 16
    assert footprint_bytes("iterator", 10 ** 6) == 0
    with pytest.raises(ValueError):
        footprint_bytes("rbtree", 1)


@pytest.mark.parametrize("name", CONTAINERS)
@pytest.mark.parametrize("n", [0, 1, 127, 128, 129, 1000])
def test_walks_return_the_input(name, n):
    rng = np.random.default_rng(n)
    addr = rng.integers(0, 1 << 30, n).astype(np.uint64) << np.uint64(12)
    length = rng.integers(1, 9, n).astype(np.uint64) << np.uint64(12)
    c = _Carrier(name, addr, length)
    c.build()
    assert int(c.consume()) == int(length.sum())
    assert np.array_equal(c.out, addr)
    assert int(c.rdma()) == int(length.sum())


def test_measure_rows():
    rows = measure_containers((10, 300), repeat=1)
    assert {(r["container"], r["fragments"]) for r in rows} == {(c, n) for c in CONTAINERS for n in (10, 300)}
    assert all(r["build_s"] >= 0 and r["rdma_s"] > 0 and r["call_overhead_s"] > 0 for r in rows)
    assert all(r["consume_ns_per_fragment"] >= 0 for r in rows)
