"""sg_table: entries split at UINT_MAX, chained chunk allocation, fault injection."""
import pytest

from dmabuf_lab.addr import (SG_MAX_SINGLE_ALLOC, UINT_MAX, DmaAddr, RangeArray, fill_sg_entry,
                             for_each_sgtable_dma_sg, sg_alloc_table, sg_chunks, sg_dma_address,
                             sg_dma_len, sg_entries_needed, sg_free_table, sg_is_chain, sg_is_last,
                             sg_split_ranges, sg_table, sg_table_free, sg_table_from_ranges,
                             sg_table_to_ranges)
from dmabuf_lab.kmodel.alloc import kfree, kzalloc
from dmabuf_lab.kmodel.err_ptr import IS_ERR, PTR_ERR
from dmabuf_lab.kmodel.runtime import Kernel

GiB = 1 << 30
U = (1 << 32) - 1          # UINT_MAX from the C definition, not from the module


def test_uint_max_value():
    assert UINT_MAX == U


# Hand counts: DIV_ROUND_UP(len, 2**32 - 1) per range.
#   5 GiB = 5 * 2**30 -> 1.25 * 2**32 / (2**32 - 1) -> 2
#   4 GiB = 2**32 is one byte more than UINT_MAX   -> 2
#   UINT_MAX exactly                                 -> 1
#   4 GiB - 4 KiB                                    -> 1
#   8 GiB = 2**33 > 2 * (2**32 - 1) = 2**33 - 2       -> 3
@pytest.mark.parametrize("length,expected", [
    (5 * GiB, 2), (4 * GiB, 2), (U, 1), (4 * GiB - 4096, 1), (8 * GiB, 3), (4096, 1)])
def test_entries_single_range(length, expected):
    assert sg_entries_needed([length]) == expected
    assert sg_entries_needed([length], one_iova_span=True) == expected


def test_entries_with_and_without_iova_span():
    # three 2 GiB ranges: each fits one entry -> 3; one IOVA span of 6 GiB -> ceil(6 GiB / U) = 2
    assert sg_entries_needed([2 * GiB] * 3) == 3
    assert sg_entries_needed([2 * GiB] * 3, one_iova_span=True) == 2
    # two 4 GiB ranges: 2 + 2 = 4; one 8 GiB span -> 3
    assert sg_entries_needed([4 * GiB, 4 * GiB]) == 4
    assert sg_entries_needed([4 * GiB, 4 * GiB], one_iova_span=True) == 3
    # 1000 pages: 1000 entries, or one entry for a 4,096,000-byte span
    assert sg_entries_needed([4096] * 1000) == 1000
    assert sg_entries_needed([4096] * 1000, one_iova_span=True) == 1
    ra = RangeArray.from_pairs([(0, 5 * GiB), (8 * GiB, 4096)])
    assert sg_entries_needed(ra) == 3


def test_fill_splits_like_the_kernel():
    a = DmaAddr(0x100_0000_0000)
    with Kernel() as k:
        sgt = sg_table_from_ranges([(a, 4 * GiB), (DmaAddr(0x200_0000_0000), 5 * GiB)])
        got = [(sg_dma_address(sg), sg_dma_len(sg)) for sg in for_each_sgtable_dma_sg(sgt)]
        sg_table_free(sgt)
    assert got == [
        (a, U), (a + U, 1),                                           # 2**32 = U + 1
        (DmaAddr(0x200_0000_0000), U), (DmaAddr(0x200_0000_0000 + U), 5 * GiB - U),
    ]
    assert all(type(x) is DmaAddr for x, _ in got)
    assert k.clean, k.findings


def test_bulk_split_matches_entry_by_entry_fill():
    ra = RangeArray.from_pairs([(0, 5 * GiB), (16 * GiB, 8 * GiB), (32 * GiB, 4096)], kind=DmaAddr)
    bulk = sg_split_ranges(ra)
    with Kernel() as k:
        sgt = sg_table_from_ranges(ra)
        one = sg_table_to_ranges(sgt)
        sg_table_free(sgt)
    assert bulk == one
    assert bulk.total_bytes() == ra.total_bytes()
    assert k.clean


def _expected_chunks(nents):
    """Hand model of __sg_alloc_table: full chunks of 128 carry 127 entries + a chain slot."""
    out, left = [], nents
    while left > 128:
        out.append(128)
        left -= 127
    return out + [left]


@pytest.mark.parametrize("nents", [1, 127, 128, 129, 255, 256, 1000])
def test_chained_allocation_chunks(nents):
    assert SG_MAX_SINGLE_ALLOC == 4096 // 32
    with Kernel() as k:
        sgt = kzalloc(sg_table)
        before = k.nr_allocs
        assert sg_alloc_table(sgt, nents) == 0
        chunks = sg_chunks(sgt)
        assert k.nr_allocs - before == len(chunks)
        assert [len(c) for c in chunks] == _expected_chunks(nents)
        for c in chunks[:-1]:
            assert sg_is_chain(c[127])
        walked = list(for_each_sgtable_dma_sg(sgt))
        assert len(walked) == nents == sgt.nents == sgt.orig_nents
        assert sg_is_last(walked[-1]) and not any(sg_is_chain(s) for s in walked)
        sg_free_table(sgt)
        kfree(sgt)
    assert k.clean, k.findings


def test_hand_chunk_counts():
    # 1000 entries: 7 full chunks carry 7 * 127 = 889, the last holds 1000 - 889 = 111
    assert _expected_chunks(1000) == [128] * 7 + [111]
    # 256 entries: 127 + 127 = 254 in two full chunks, 2 left
    assert _expected_chunks(256) == [128, 128, 2]


def test_zero_entries_is_einval():
    with Kernel() as k:
        sgt = kzalloc(sg_table)
        assert sg_alloc_table(sgt, 0) == -22
        kfree(sgt)
    assert k.clean


@pytest.mark.parametrize("fail_nth", range(1, 10))
def test_alloc_failure_frees_everything(fail_nth):
    # 1000 entries -> 1 header + 8 chunks = 9 allocations; fail each in turn
    with Kernel(fail_nth=fail_nth) as k:
        sgt = sg_table_from_ranges([(DmaAddr(i * 8192), 4096) for i in range(1000)])
        assert IS_ERR(sgt) and PTR_ERR(sgt) == -12
    assert k.clean, k.findings


def test_leak_is_caught_when_not_freed():
    with Kernel() as k:
        sgt = sg_table_from_ranges([(DmaAddr(0), 4096)])
        kfree(sgt)          # forgot sg_free_table
    assert [f.kind for f in k.findings] == ["leak"]


def test_use_after_free_is_caught():
    with Kernel() as k:
        sgt = sg_table_from_ranges([(DmaAddr(0), 4096)])
        sg = sgt.sgl
        sg_table_free(sgt)
        sg_dma_address(sg)
    assert "use-after-free" in [f.kind for f in k.findings]


def test_fill_sg_entry_returns_next_entry():
    with Kernel() as k:
        sgt = kzalloc(sg_table)
        assert sg_alloc_table(sgt, 3) == 0
        rest = fill_sg_entry(sgt.sgl, 4 * GiB, DmaAddr(0))
        assert rest is not None and sg_dma_len(rest) == 0
        assert fill_sg_entry(rest, 4096, DmaAddr(1 << 40)) is None
        sg_free_table(sgt)
        kfree(sgt)
    assert k.clean


from hypothesis import given, strategies as st  # noqa: E402


@given(st.lists(st.integers(1, 3 * (1 << 33)), min_size=1, max_size=20))
def test_bulk_split_against_python_reference(lengths):
    # reference: the kernel loop written out in plain Python
    starts, pos = [], 0
    for n in lengths:
        starts.append(pos)
        pos += n + 4096
    ref = []
    for s, n in zip(starts, lengths):
        i, left = 0, n
        while left:
            ln = min(left, U)
            ref.append((s + i * U, ln))
            left -= ln
            i += 1
    ra = RangeArray.from_arrays(starts, lengths, align=None)
    got = [(int(a), n) for a, n in sg_split_ranges(ra)]
    assert got == ref
    assert sg_entries_needed(lengths) == len(ref)
    assert sg_entries_needed(lengths, one_iova_span=True) == -(-sum(lengths) // U)


def test_page_aligned_split_of_later_trees():
    """Later dma-buf-mapping.c splits at ALIGN_DOWN(UINT_MAX, 4K) = 0xfffff000,
    so every entry of a 9 GiB range starts page aligned.  By hand: 9 GiB is
    0x2_4000_0000; two full entries take 0x1_ffff_e000, leaving 0x4000_2000
    for a third."""
    from dmabuf_lab.addr import MAX_SG_ENT_SZ, RangeArray, PhysAddr, sg_entries_needed, sg_split_ranges
    assert MAX_SG_ENT_SZ == 0xFFFFF000
    r = RangeArray.from_pairs([(0x40_0000_0000, 9 << 30)], kind=PhysAddr)
    assert sg_entries_needed(r, max_seg=MAX_SG_ENT_SZ) == 3
    parts = sg_split_ranges(r, max_seg=MAX_SG_ENT_SZ)
    assert [int(x) for x in parts.starts] == [0x40_0000_0000, 0x40_FFFF_F000, 0x41_FFFF_E000]
    assert [int(x) for x in parts.lengths] == [0xFFFFF000, 0xFFFFF000, 0x4000_2000]
    assert all(int(x) % 4096 == 0 for x in parts.starts)
    # The 6.19 split at UINT_MAX leaves the second entry one byte short of a page.
    old = sg_split_ranges(r)
    assert int(old.starts[1]) == 0x40_FFFF_FFFF
