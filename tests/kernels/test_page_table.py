"""Page-table summaries against hand arithmetic; backends against the references."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from dmabuf_lab.kernels.page_table import build_page_table, build_page_table_python
from dmabuf_lab.kernels.pt_formats import (ARM_CONT, FORMATS, XE_PPGTT_PTE_DM, XE_PTE_PS64, X86_PS,
                                           get_format)

K, M, G = 1 << 10, 1 << 20, 1 << 30


def r3(va, oa, size):
    return tuple(np.asarray(x, dtype=np.uint64) for x in (va, oa, size))


def test_1g_aligned_is_one_1g_leaf(backend):
    s = build_page_table(r3([G], [G], [G]), "x86-64-4level", backend=backend, materialize=True)
    assert s.leaf_pages == {G: 1}
    assert s.leaf_entries == [0, 0, 1, 0]
    # one PDPT holding the leaf and the PML4 root: 2 pages, 8 KiB
    assert s.table_pages == [0, 0, 1, 1] and s.table_bytes == 8192
    assert s.leaves.va.tolist() == [G]
    assert int(s.leaves.pte[0]) & X86_PS and int(s.leaves.pte[0]) & ~0xFFF == G


def test_2m_plus_4k(backend):
    # [0, 2M) one 2M leaf in the PD; [2M, 2M+4K) one 4K leaf in a PT; PD, PDPT, PML4 above
    s = build_page_table(r3([0], [0], [2 * M + 4 * K]), "x86-64-4level", backend=backend)
    assert s.leaf_pages == {2 * M: 1, 4 * K: 1}
    assert s.leaf_entries == [1, 1, 0, 0]
    assert s.table_pages == [1, 1, 1, 1] and s.table_bytes == 4 * 4096
    s5 = build_page_table(r3([0], [0], [2 * M + 4 * K]), "x86-64-5level", backend=backend)
    assert s5.table_pages == [1, 1, 1, 1, 1]
    s3 = build_page_table(r3([0], [0], [2 * M + 4 * K]), "vtd-ss-39", backend=backend)
    assert s3.table_pages == [1, 1, 1]


def test_mixed_table_pages(backend):
    # test_mixed: 2M x 14 then 1G x 3 then 2M x 3; the 2M leaves sit in two PDs
    s = build_page_table(r3([0x3FE400000], [0x3FE400000], [0xC2200000]), "x86-64-4level", backend=backend)
    assert s.leaf_pages == {2 * M: 17, G: 3}
    assert s.leaf_entries == [0, 17, 3, 0]
    assert s.table_pages == [0, 2, 1, 1]


def test_4m_of_4k_pages_needs_two_pts(backend):
    # VA 4K-misaligned with OA modulo 2M: 1024 4K leaves over [2M, 6M): PTs for [2M,4M) and [4M,6M)
    s = build_page_table(r3([2 * M], [2 * M + 4 * K], [4 * M]), "x86-64-4level", backend=backend)
    assert s.leaf_pages == {4 * K: 1024}
    assert s.table_pages == [2, 1, 1, 1]


def test_amd_v1_replicates(backend):
    # 64K page: 16 replicated level-0 entries; 8M: 4 replicated 2M entries; 512G is not a size
    s = build_page_table(r3([0, 8 * M], [0, 8 * M], [64 * K, 8 * M]), "amd-v1", backend=backend, materialize=True)
    assert s.leaf_pages == {64 * K: 1, 8 * M: 1}
    assert s.leaf_entries[:2] == [16, 4]
    ptes = s.leaves.pte[:16]
    assert np.all(ptes == ptes[0]) and (int(ptes[0]) >> 9) & 7 == 7
    assert not FORMATS["amd-v1"].pgsize_bitmap & (1 << 39)


def test_arm_contiguous_hint(backend):
    s = build_page_table(r3([32 * M], [64 * M], [32 * M + 64 * K]), "arm-lpae-4k", backend=backend,
                         materialize=True)
    assert s.leaf_pages == {32 * M: 1, 64 * K: 1}
    assert s.leaf_entries[:2] == [16, 16]
    assert all(int(p) & ARM_CONT for p in s.leaves.pte)
    # each of the 16 entries carries its own address
    oas = [int(p) & 0xFFFFFFFFF000 for p in s.leaves.pte[s.leaves.level == 1]]
    assert oas == [64 * M + k * 2 * M for k in range(16)]


def test_xe_compact_and_ps64(backend):
    # [0, 4M) at OA 64K-aligned but not 2M: both 2M spans fully covered -> compact tables,
    # 32 entries each; [4M, 4M+128K) partial span -> 2 x 16 PS64 entries
    s = build_page_table(r3([0], [64 * K], [4 * M + 128 * K]), "xe-ppgtt", backend=backend, materialize=True)
    assert s.leaf_pages == {64 * K: 66}
    assert s.leaf_entries == [64 + 32, 0, 0, 0]
    assert s.table_pages == [3, 1, 1, 1]
    ps64 = [bool(int(p) & XE_PTE_PS64) for p in s.leaves.pte]
    assert ps64.count(True) == 32
    assert all(int(p) & XE_PPGTT_PTE_DM for p in s.leaves.pte)


def test_xe_huge_only_when_aligned(backend):
    # the range covers a whole 2M entry but OA is only 4K-aligned: no 2M leaf, 512 4K
    s = build_page_table(r3([2 * M], [4 * K], [2 * M]), "xe-ppgtt", backend=backend)
    assert s.leaf_pages == {4 * K: 512}


def test_status(backend):
    s = build_page_table(r3([0x800, 1 << 48], [0, 0], [4096, 4096]), "x86-64-4level", backend=backend)
    assert s.status.tolist() == [-22, -34]
    assert s.leaf_pages == {} and s.table_pages == [0, 0, 0, 0]


def test_unknown_format():
    with pytest.raises(ValueError, match="known"):
        get_format("sparc")


def test_overlap_rejected(backend):
    with pytest.raises(ValueError, match="overlap"):
        build_page_table(r3([0, 4096], [0, 0], [8192, 4096]), "x86-64-4level", backend=backend)
    with pytest.raises(ValueError, match="overlap"):  # found after sorting, too
        build_page_table(r3([4096, 0], [0, 0], [4096, 8192]), "x86-64-4level", backend=backend)


@st.composite
def range_sets(draw):
    n = draw(st.integers(0, 8))
    va = draw(st.integers(0, 1 << 10)) << 12
    out = []
    for _ in range(n):
        va += draw(st.sampled_from([0, 4 * K, 60 * K, 2 * M, G - 2 * M]))
        size = draw(st.sampled_from([4 * K, 64 * K, 2 * M, 2 * M + 64 * K, 34 * M, G + 2 * M])) \
            + (draw(st.integers(0, 40)) << 12)
        # large ranges keep OA congruent to VA modulo 64K so the Python oracle stays quick
        if size > 40 * M:
            skew = [0, 2 * M, 1 << 34]
        elif size > 4 * M:
            skew = [0, 64 * K, 2 * M, 1 << 34]
        else:
            skew = [0, 64 * K, 4 * K, 2 * M, 1 << 34]
        oa = va + draw(st.sampled_from(skew)) + (draw(st.integers(0, 3)) << 16)
        out.append((va, oa, size))
        va += size
    order = draw(st.permutations(list(range(n))))
    return r3([out[i][0] for i in order], [out[i][1] for i in order], [out[i][2] for i in order])


@given(range_sets(), st.sampled_from(sorted(FORMATS)))
def test_backends_equal_references(rs, fmt):
    want = build_page_table_python(rs, fmt, materialize=True)
    for be in ("reference", "numba"):
        got = build_page_table(rs, fmt, backend=be, materialize=True)
        assert got.same_as(want), (be, got.as_dict(), want.as_dict())
        assert np.array_equal(got.leaves.va, want.leaves.va)
        assert np.array_equal(got.leaves.pte, want.leaves.pte)
        assert np.array_equal(got.leaves.level, want.leaves.level)


def _mixed_ranges(rng, n):
    """Sorted ranges: mostly 4K..32K with small gaps (many per level-0 table),
    every 50th a 2M-aligned 4M..6M run that maps 2M leaves (and 64K / 32M where
    the format has them), OA skewed so some runs fall back to 4K."""
    va, oa, size = [], [], []
    at = 1 << 30
    for i in range(n):
        if i % 50 == 7:
            at = (at + 2 * M - 1) & ~(2 * M - 1)
            s = (4 + int(rng.integers(0, 3))) * M + int(rng.integers(0, 3)) * 64 * K
            skew = int(rng.choice([0, 0, 4 * K, 64 * K]))
        else:
            s = int(rng.integers(1, 9)) * 4 * K
            skew = int(rng.integers(0, 1 << 20)) << 12
        va.append(at)
        oa.append(at + skew)
        size.append(s)
        at += s + int(rng.integers(0, 4)) * 4 * K
    return r3(va, oa, size)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("n", [0, 1, 2, 3, 1001])
def test_one_pass_equals_two_pass_and_reference(fmt, n):
    # the two-thread one-pass kernel (halves meeting in the middle of the output)
    # against count -> emit and the numpy reference, summary and leaves
    from dmabuf_lab.kernels import page_table as pt
    rs = _mixed_ranges(np.random.default_rng(n), n)
    want = build_page_table(rs, fmt, backend="reference", materialize=True)
    f = get_format(fmt)
    for materialize in (True, False):
        for one_pass in (True, False):
            got = pt.build_page_table(rs, f, backend="numba", materialize=materialize, one_pass=one_pass)
            assert got.same_as(want), (one_pass, materialize, got.as_dict(), want.as_dict())
            if materialize:
                for field in ("va", "pte", "level"):
                    assert np.array_equal(getattr(got.leaves, field), getattr(want.leaves, field)), field
    if n > 3:
        assert len(want.leaf_pages) >= 2  # big and small leaves both exercised


def test_one_pass_unsorted_overlap_and_loose_bound():
    from dmabuf_lab.kernels import page_table as pt
    from dmabuf_lab.kernels.page_table import cpu  # noqa: F401  (pt.cpu below)
    f = get_format("x86-64-4level")
    rs = _mixed_ranges(np.random.default_rng(3), 400)
    want = build_page_table(rs, f, backend="reference", materialize=True)
    perm = np.random.default_rng(4).permutation(400)
    # sorted, then run again
    got = pt.build_page_table(tuple(a[perm] for a in rs), f, backend="numba", materialize=True, one_pass=True)
    assert got.same_as(want) and np.array_equal(got.leaves.pte, want.leaves.pte)
    with pytest.MonkeyPatch.context() as mp:  # a bound too loose for one pass: count -> emit instead
        mp.setattr(pt.cpu, "ONE_PASS_ENTRIES_PER_RANGE", 0)
        got = pt.build_page_table(rs, f, backend="numba", materialize=True, one_pass=True)
        assert got.same_as(want) and np.array_equal(got.leaves.va, want.leaves.va)
    va, oa, size = rs
    size = size.copy()
    size[300] += np.uint64(64 * K)  # runs into the next range
    with pytest.raises(ValueError, match="overlap"):
        pt.build_page_table((va, oa, size), f, backend="numba", materialize=True, one_pass=True)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_short_range_is_one_step_of_smallest_pages(fmt):
    # the one-pass kernel skips iommu_pgsize for aligned ranges shorter than the
    # format's second page size; the Python iommu_pgsize must agree on every such range
    from dmabuf_lab.kernels.iommu_pgsize import iommu_pgsize
    from dmabuf_lab.kernels.page_table.cpu import smallest_steps
    f = get_format(fmt)
    bm = f.pgsize_bitmap
    sizes = sorted(1 << b for b in range(64) if bm >> b & 1)
    idx0, p1 = smallest_steps(np.uint64(bm))
    assert 1 << int(idx0) == sizes[0]
    assert int(p1) == (sizes[1] if len(sizes) > 1 else (1 << 64) - 1)
    rng = np.random.default_rng(7)
    p0 = sizes[0]
    top = min(int(p1), 64 * p0)
    for _ in range(300):
        s = int(rng.integers(1, top // p0)) * p0 if top > p0 else p0
        v = int(rng.integers(0, 1 << 20)) * p0
        o = int(rng.integers(0, 1 << 20)) * p0
        if rng.integers(0, 2):  # aligned to the larger sizes as well
            v, o = v << 12, o << 12
        pg, cnt = iommu_pgsize(bm, v, o, s)
        assert (pg, cnt) == (p0, s // p0), (hex(v), hex(o), hex(s))
