"""dmabuf_lab.experiments.page_tables: oracles from docs/sources.md and hand arithmetic."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from dmabuf_lab.experiments import page_tables as P
from dmabuf_lab.experiments.translation import xe_topology

K, M, G = 1 << 10, 1 << 20, 1 << 30


@pytest.fixture(scope="module")
def topo():
    return xe_topology()


def test_test_mixed_steps_match_address_facts():
    f = P.iommu_pgsize_steps()
    assert [(r["pgsize"], r["count"]) for r in f.to_dicts()] == [("2M", 14), ("1G", 3), ("2M", 3)]
    agree = {r["pgsize"]: r for r in P.pgsize_agreement().to_dicts()}
    assert agree["2M"]["iommu_pgsize"] == agree["2M"]["build_page_table"] == 17
    assert agree["1G"]["iommu_pgsize"] == agree["1G"]["build_page_table"] == 3


def test_ib_umem_example_fixed_and_pre_fix():
    f = {r["variant"]: r for r in P.ib_umem_example().to_dicts()}
    assert f["fixed"]["page_size"] == 4 * M
    assert f["pre-fix"]["page_size"] == 4 * K
    assert f["fixed"]["bytes"] == 16 * G
    assert f["fixed"]["mtt_entries"] == 16 * G // (4 * M)
    assert f["pre-fix"]["mtt_bytes"] == 8 * (16 * G // (4 * K))


def test_bar_slice_table_memory_by_hand(topo):
    bufs = P.buffers(topo)
    rows = {r["format"]: r for r in P.table_memory({"bar": bufs["4 GiB VF BAR slice"]},
                                                   formats=("x86-64-4level", "x86-64-5level", "amd-v1")).to_dicts()}
    # 4 GiB at a 1 GiB-aligned VA and address: four 1G leaves in one PDPT, under one PML4
    assert rows["x86-64-4level"]["leaves"] == "1Gx4"
    assert rows["x86-64-4level"]["table_bytes"] == 2 * 4096
    assert rows["x86-64-5level"]["table_bytes"] == 3 * 4096
    # AMD v1: one 4G page, written as 4 replicated level-2 entries; tables at levels 2..5
    assert rows["amd-v1"]["leaves"] == "4Gx1" and rows["amd-v1"]["leaf_entries"] == 4
    assert rows["amd-v1"]["table_bytes"] == 4 * 4096


def test_buffers_cover_the_vf_quota(topo):
    bufs = P.buffers(topo, vf=1)
    for name in ("VF LMEM (preset)", "VF LMEM, 2M blocks"):
        va, oa, size = bufs[name]
        assert int(size.sum()) == int(topo.quota[1])
        assert np.all(va[1:] == va[:-1] + size[:-1])   # back to back in VA
    assert np.all(bufs["VF LMEM, 2M blocks"][2] == 2 * M)
    leaves = P.leaf_sizes({"m": bufs["test_mixed"]}, formats=("xe-ppgtt",))
    assert dict(zip(leaves["page"], leaves["pages"])) == {"2M": 17, "1G": 3}


def test_rfc_vs_correct_by_hand(topo):
    w = 0x40_0000_0000 + 4 * G      # VF index 1
    boundary = int(topo.blk_len[int(topo.blk_ptr[1])])
    # a 12 KiB range (claims 16 KiB) and a 16 KiB range across the first block boundary
    starts = [w + 64 * K, w + boundary - 8 * K]
    lengths = [12 * K, 16 * K]
    r = P.rfc_vs_correct(starts, lengths, topo, backend="reference")
    p = r["pages"].to_dicts()[0]
    assert p["buffer_pages"] == 3 + 4
    assert p["rfc_pages"] == 4 + 4
    assert p["extra_pages"] == 1
    # the 4th page of the 12K claim and the 2 pages past block 0's end are not the buffer's
    assert p["pages_outside_buffer"] == 1 + 2
    # the 2 pages past block 0's end are whatever VRAM follows it: count those another VF owns
    after = int(topo.blk_dpa[int(topo.blk_ptr[1])]) + boundary
    other = [v for v in range(topo.num_vfs) if v != 1 and any(
        d <= after < d + n for d, n in zip(topo.blk_dpa[topo.blk_ptr[v]:topo.blk_ptr[v + 1]].tolist(),
                                           topo.blk_len[topo.blk_ptr[v]:topo.blk_ptr[v + 1]].tolist()))]
    assert p["pages_in_other_vfs_lmem"] == (2 if other else 0)
    # the 2 pages that really live in block 1 get no leaf
    assert p["buffer_pages_unmapped"] == 2
    s = {x["behaviour"]: x for x in r["summary"].to_dicts()}
    assert s["exact segments"]["segments"] == 3 and s["RFC (get_order segments)"]["segments"] == 2
    assert s["exact segments"]["bytes_mapped"] == 28 * K


def test_contiguous_va():
    va, oa, size = P.contiguous_va([0x1000, 0x9000], [0x2000, 0x1000], va_base=0x10000)
    assert va.tolist() == [0x10000, 0x12000] and oa.tolist() == [0x1000, 0x9000]


def test_build_scaling_small():
    f = P.build_scaling([500, 2000], formats=("x86-64-4level",), min_time=0.01)
    assert f.height == 4
    first = f.filter(pl.col("ranges") == 500)
    assert first["per_range_vs_smallest"].to_list() == [1.0, 1.0]
    assert f.filter(pl.col("backend") == "reference")["vs_reference"].to_list() == [1.0, 1.0]
    # both backends build the same table
    for n in (500, 2000):
        assert f.filter(pl.col("ranges") == n)["leaf_entries"].n_unique() == 1


def test_size_name():
    assert [P.size_name(x) for x in (4096, 2 * M, G, 3 * G, 12 * K)] == ["4K", "2M", "1G", "3G", "12K"]
