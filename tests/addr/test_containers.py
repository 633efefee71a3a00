"""Containers: RangeArray round trips, no leaks, fault injection, iterator walks."""
import pytest

from dmabuf_lab.addr import (PAGE_SIZE, DmaAddr, PhysAddr, RangeArray, consume_sized,
                             consume_streaming, dma_buf_mapping_free, dma_buf_mapping_from_ranges,
                             dma_buf_mapping_to_ranges, dma_buf_phys_list_free,
                             dma_buf_phys_list_from_ranges, dma_buf_phys_list_to_ranges,
                             dma_buf_range_iter, dma_buf_ranges, dma_buf_ranges_v2_free,
                             dma_buf_ranges_v2_from_ranges, dma_buf_ranges_v2_to_ranges, footprint,
                             phys_vec_array_from_ranges, phys_vec_array_to_ranges, sg_table_free,
                             sg_table_from_ranges, sg_table_to_ranges, xarray_ranges_free,
                             xarray_ranges_from_ranges, xarray_ranges_live_bytes,
                             xarray_ranges_to_ranges)
from dmabuf_lab.kmodel.alloc import kvfree
from dmabuf_lab.kmodel.err_ptr import IS_ERR
from dmabuf_lab.kmodel.runtime import Kernel
from dmabuf_lab.kmodel.xarray import xa_count_nodes

P = PAGE_SIZE


def _src(n):
    return RangeArray.from_pairs([(0x40_0000_0000 + 4 * i * P, P * (1 + i % 3)) for i in range(n)])


CONTAINERS = {
    "sg_table": (sg_table_from_ranges, sg_table_to_ranges, sg_table_free),
    "xarray": (xarray_ranges_from_ranges, xarray_ranges_to_ranges, xarray_ranges_free),
    "xarray-per-entry": (lambda s: xarray_ranges_from_ranges(s, per_entry=True),
                         xarray_ranges_to_ranges,
                         lambda c: xarray_ranges_free(c, per_entry=True)),
    "phys_vec": (phys_vec_array_from_ranges, phys_vec_array_to_ranges, kvfree),
    "dma_buf_mapping": (dma_buf_mapping_from_ranges, dma_buf_mapping_to_ranges, dma_buf_mapping_free),
    "dma_buf_ranges_v2": (dma_buf_ranges_v2_from_ranges, dma_buf_ranges_v2_to_ranges,
                          dma_buf_ranges_v2_free),
    "phys_list": (dma_buf_phys_list_from_ranges, dma_buf_phys_list_to_ranges, dma_buf_phys_list_free),
}


@pytest.mark.parametrize("name", CONTAINERS)
def test_roundtrip_and_no_leak(name):
    build, back, free = CONTAINERS[name]
    src = _src(150)
    with Kernel() as k:
        c = build(src)
        assert not IS_ERR(c) and c is not None
        assert back(c).with_kind(PhysAddr) == src
        free(c)
    assert k.clean, k.findings


@pytest.mark.parametrize("name", CONTAINERS)
def test_every_allocation_failure_unwinds(name):
    build, _, free = CONTAINERS[name]
    src = _src(70)
    with Kernel() as k0:
        free(build(src))
    n = k0.nr_allocs
    assert n >= 1
    for nth in range(1, n + 1):
        with Kernel(fail_nth=nth) as k:
            c = build(src)
            assert c is None or IS_ERR(c)
        assert k.clean, (nth, k.findings)


@pytest.mark.parametrize("name", CONTAINERS)
def test_forgetting_to_free_is_a_leak(name):
    build, _, _ = CONTAINERS[name]
    with Kernel() as k:
        build(_src(3))
    assert k.findings and {f.kind for f in k.findings} == {"leak"}


@pytest.mark.parametrize("n", [1, 2, 64, 65, 200])
def test_xarray_live_nodes_match_footprint(n):
    src = _src(n)
    with Kernel() as k:
        r = xarray_ranges_from_ranges(src)
        assert xa_count_nodes(r.ranges) == footprint.xa_nodes_dense(n)
        assert xarray_ranges_live_bytes(r) == dma_buf_ranges.footprint_bytes(n)
        xarray_ranges_free(r)
    assert k.clean


def test_sg_table_keeps_the_kind():
    src = RangeArray.from_pairs([(0x1000, P)], kind=DmaAddr)
    with Kernel():
        sgt = sg_table_from_ranges(src)
        out = sg_table_to_ranges(sgt)
        sg_table_free(sgt)
    assert out.kind is DmaAddr


@pytest.mark.parametrize("name", CONTAINERS)
def test_iterator_walk_counts(name):
    build, _, free = CONTAINERS[name]
    src = _src(40)
    with Kernel() as k:
        c = build(src)
        it = dma_buf_range_iter(c)
        streamed = consume_streaming(it)
        assert it.walks == 1 and it.steps == 40
        it2 = dma_buf_range_iter(c)
        sized = consume_sized(it2)
        assert it2.walks == 2 and it2.steps == 80       # RDMA: count, then fill
        free(c)
    assert k.clean
    assert streamed.with_kind(PhysAddr) == src and sized.with_kind(PhysAddr) == src


def test_iterator_next_before_first():
    it = dma_buf_range_iter(_src(2))
    with pytest.raises(RuntimeError):
        it.next()
    assert it.first() == (PhysAddr(0x40_0000_0000), P)
    assert it.next() is not None and it.next() is None


@pytest.mark.parametrize("name", ["sg_table", "xarray", "dma_buf_mapping", "phys_list"])
def test_fault_sweep_is_clean(name):
    # allocations for 130 ranges: sg_table = header + 2 chunks (128 + 3 entries);
    # xarray = container + range array + 4 xa_nodes (ceil(130/64) = 3 leaves + root);
    # dma_buf_mapping = header + phys_vec array; phys_list = one kvzalloc
    from dmabuf_lab.kmodel import fault_sweep

    build, _, free = CONTAINERS[name]
    src = _src(130)
    sweep = fault_sweep(lambda k: build(src), name=name, release=lambda k, c: free(c))
    assert sweep.baseline.outcome == "ok"
    assert len(sweep) == {"sg_table": 3, "xarray": 6, "dma_buf_mapping": 2, "phys_list": 1}[name]
    assert {row.outcome for row in sweep} == {"clean"}, sweep.render()
