"""Scalar twins against docs/sources.md and hand arithmetic."""
import pytest
from hypothesis import given, strategies as st

from dmabuf_lab.kernels.getorder import get_order, get_order_bulk
from dmabuf_lab.kernels.ib_umem import ib_umem_find_best_pgsz, ib_umem_find_best_pgsz_numpy
from dmabuf_lab.kernels.iommu_pgsize import IommuPgsizeBug, iommu_map_steps, iommu_pgsize
from dmabuf_lab.kernels.pt_best_pgsize import pt_best_pgsize

K, M, G = 1 << 10, 1 << 20, 1 << 30
X86 = 4 * K | 2 * M | 1 * G


@pytest.mark.parametrize("size,order", [(4 * K, 0), (8 * K, 1), (12 * K, 2), (2 * M, 9), (2 * M + 4 * K, 10),
                                        (1 * G, 18), (1, 0), (4 * K + 1, 1)])
def test_get_order_table(size, order):
    assert get_order(size) == order
    assert int(get_order_bulk([size])[0]) == order


def test_get_order_zero_wraps_like_c():
    # (0 - 1) >> 12 is 2**52 - 1 on a 64-bit kernel: fls64 gives 52
    assert get_order(0) == 52


@given(st.integers(1, 1 << 62))
def test_get_order_is_smallest_covering_order(size):
    o = get_order(size)
    assert (4096 << o) >= size
    assert o == 0 or (4096 << (o - 1)) < size
    assert int(get_order_bulk([size])[0]) == o


def test_mixed_worked_example():
    # generic_pt KUnit test_mixed: (2M x 14), (1G x 3), (2M x 3)
    steps = iommu_map_steps(X86, 0x3FE400000, 0x3FE400000, 0xC2200000)
    assert [(pg, c) for _, _, pg, c in steps] == [(2 * M, 14), (1 * G, 3), (2 * M, 3)]
    assert sum(c for *_, c in steps) == 20
    # the 1G run starts at the first 1G boundary after 0x3fe400000
    assert steps[1][0] == 0x400000000


def test_iommu_pgsize_counts_up_to_next_boundary():
    # iova 4K-aligned, 2M boundary 0x1ff000 bytes away; 4M left: stop at the boundary
    assert iommu_pgsize(X86, 0x1000, 0x1000, 4 * M) == (4 * K, 0x1FF)
    # iova and paddr differ modulo 2M: no point stopping, all 4K
    assert iommu_pgsize(X86, 0x1000, 0x3000, 4 * M) == (4 * K, 1024)


def test_iommu_pgsize_bug_on():
    with pytest.raises(IommuPgsizeBug):
        iommu_pgsize(2 * M, 0x1000, 0, 2 * M)


def test_iommu_map_steps_einval_on_misalignment():
    assert iommu_map_steps(X86, 0x800, 0, 4 * K) == -22


bitmaps = st.sets(st.integers(12, 40), min_size=1, max_size=6).map(lambda s: sum(1 << b for b in s) | 4096)


@given(bitmaps, st.integers(0, 1 << 30), st.integers(0, 1 << 30), st.integers(1, 1 << 22))
def test_iommu_map_steps_tile_the_range(bitmap, v, p, npages):
    v, p, size = v << 12, p << 12, npages << 12
    steps = iommu_map_steps(bitmap, v, p, size)
    at_v, at_p = v, p
    for sv, sp, pg, c in steps:
        assert (sv, sp) == (at_v, at_p)
        assert bitmap & pg and c >= 1
        assert sv % pg == 0 and sp % pg == 0
        # no bigger supported page fits at this step (largest-first rule)
        bigger = [1 << b for b in range(pg.bit_length(), 64) if bitmap >> b & 1]
        for b in bigger:
            assert sv % b or sp % b or b > v + size - sv
        at_v += pg * c
        at_p += pg * c
    assert at_v == v + size


def brute_pt_best(bitmap, va, last_va, oa):
    """Largest bitmap size s with va, oa aligned to s and s <= length (by search)."""
    length = last_va - va + 1
    best = 0
    for b in range(64):
        s = 1 << b
        if bitmap >> b & 1 and va % s == 0 and oa % s == 0 and s <= length:
            best = b
    return best


@given(bitmaps, st.integers(0, 1 << 40), st.integers(1, 1 << 36), st.integers(0, 1 << 40))
def test_pt_best_pgsize_matches_search(bitmap, va, length, oa):
    va <<= 12
    oa <<= 12
    length <<= 12
    assert pt_best_pgsize(bitmap, va, va + length - 1, oa) == brute_pt_best(bitmap, va, va + length - 1, oa)


def test_pt_best_pgsize_examples():
    assert pt_best_pgsize(X86, 0, 1 * G - 1, 0) == 30
    assert pt_best_pgsize(X86, 0, 1 * G - 1, 2 * M) == 21
    assert pt_best_pgsize(X86, 0x1000, 0x1000 + 1 * G - 1, 0x1000) == 12
    assert pt_best_pgsize(X86, 0, 2 * M + 4 * K - 1, 0) == 21
    assert pt_best_pgsize(2 * M, 0x1000, 0x1000 + 2 * M, 0x1000) == 0  # cannot be stored
    assert pt_best_pgsize(X86, 5, 5, 0) == 0                            # va >= last_va: WARN, 0


# docs/sources.md: five entries, physically contiguous, 16 GiB from 0x344_0140_0000
RDMA_DMA = [0x34401400000, 0x345013FF000, 0x346013FE000, 0x347013FD000, 0x348013FC000]
RDMA_LEN = [0xFFFFF000] * 4 + [0x4000]
RDMA_BITMAP = sum(1 << b for b in range(12, 40))  # 4K ... 512G


@pytest.mark.parametrize("impl", [ib_umem_find_best_pgsz, ib_umem_find_best_pgsz_numpy])
def test_ib_umem_16g_example(impl):
    assert sum(RDMA_LEN) == 16 * G
    assert impl(RDMA_DMA, RDMA_LEN, 0, 0, RDMA_BITMAP, "fixed") == 4 * M
    assert impl(RDMA_DMA, RDMA_LEN, 0, 0, RDMA_BITMAP, "pre-fix") == 4 * K


def test_ib_umem_discontinuity_limits_both():
    # two 2M runs, the second not contiguous: the VA of the break (2M) bounds the size
    dma = [0x40000000, 0x80000000]
    lens = [2 * M, 2 * M]
    for v in ("fixed", "pre-fix"):
        assert ib_umem_find_best_pgsz(dma, lens, 0, 0, X86, v) == 2 * M
    # the span is 4M: the 1G bit is below nothing, 2M is the answer; with a 4M VA offset too
    assert ib_umem_find_best_pgsz([0x40000000], [4 * M], 4 * M, 0, X86 | 4 * M) == 4 * M


def test_ib_umem_rejects_bad_variant():
    with pytest.raises(ValueError):
        ib_umem_find_best_pgsz([0], [4096], 0, 0, X86, "newest")


@given(st.lists(st.tuples(st.integers(0, 1 << 24), st.integers(1, 1 << 10), st.booleans()), min_size=1, max_size=12),
       st.integers(0, 1 << 20), bitmaps, st.sampled_from(["fixed", "pre-fix"]))
def test_ib_umem_numpy_twin_equals_loop(entries, virt_pages, bitmap, variant):
    dma, lens = [], []
    for base, npages, contiguous in entries:
        if contiguous and dma:
            dma.append(dma[-1] + lens[-1])
        else:
            dma.append(base << 12)
        lens.append(npages << 12)
    virt = virt_pages << 12
    assert ib_umem_find_best_pgsz_numpy(dma, lens, virt, 0, bitmap, variant) == \
        ib_umem_find_best_pgsz(dma, lens, virt, 0, bitmap, variant)


@given(st.lists(st.integers(1, 64), min_size=1, max_size=8), st.integers(0, 1 << 20))
def test_ib_umem_fixed_never_worse_on_contiguous_lists(npages, virt_pages):
    # one physical run cut into arbitrary entries: the fix must not give a smaller size
    base = 0x100000000
    lens = [n << 12 for n in npages]
    dma = [base + sum(lens[:i]) for i in range(len(lens))]
    virt = virt_pages << 12
    fixed = ib_umem_find_best_pgsz(dma, lens, virt, 0, RDMA_BITMAP, "fixed")
    pre = ib_umem_find_best_pgsz(dma, lens, virt, 0, RDMA_BITMAP, "pre-fix")
    assert fixed >= pre > 0
    # and the answer keeps VA and DMA congruent modulo the page size
    assert (virt - base) % fixed == 0
