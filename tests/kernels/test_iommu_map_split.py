"""Bulk __iommu_map splitting: every backend equals the line-by-line port."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from dmabuf_lab.kernels.iommu_map import iommu_map_split, iommu_map_split_python


K, M, G = 1 << 10, 1 << 20, 1 << 30
X86 = 4 * K | 2 * M | 1 * G


def u64(x):
    return np.asarray(x, dtype=np.uint64)

FIELDS = ("range_index", "iova", "paddr", "pgsize", "count", "status")


def same(a, b):
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


def test_mixed_every_backend(backend):
    r = iommu_map_split(u64([0x3FE400000]), u64([0x3FE400000]), u64([0xC2200000]), X86, backend=backend)
    assert list(zip(r.pgsize.tolist(), r.count.tolist())) == [(2 * M, 14), (1 * G, 3), (2 * M, 3)]
    assert r.entries() == 20
    assert r.range_index.tolist() == [0, 0, 0]


def test_misaligned_and_empty_ranges(backend):
    r = iommu_map_split(u64([0x800, 0, 4096]), u64([0, 0, 4096]), u64([4096, 0, 8192]), X86, backend=backend)
    assert r.status.tolist() == [-22, 0, 0]
    assert r.range_index.tolist() == [2]
    assert (int(r.pgsize[0]), int(r.count[0])) == (4096, 2)


def test_empty_input(backend):
    r = iommu_map_split(u64([]), u64([]), u64([]), X86, backend=backend)
    assert len(r) == 0 and r.status.size == 0


bitmaps = st.sets(st.integers(12, 34), min_size=1, max_size=5).map(lambda s: sum(1 << b for b in s))
ranges = st.lists(st.tuples(st.integers(0, 1 << 36), st.integers(0, 1 << 36), st.integers(0, 1 << 31)),
                  min_size=0, max_size=40)


@given(ranges, bitmaps, st.booleans())
def test_backends_equal_python_port(rs, bitmap, aligned):
    if aligned:  # align everything to the smallest page so most ranges map
        lo = bitmap & -bitmap
        rs = [(v // lo * lo, p // lo * lo, s // lo * lo) for v, p, s in rs]
    v, p, s = (u64([r[i] for r in rs]) for i in range(3))
    want = iommu_map_split_python(v, p, s, bitmap)
    for be in ("reference", "numba"):
        got = iommu_map_split(v, p, s, bitmap, backend=be)
        assert same(got, want), be


@given(ranges)
def test_chunks_tile_each_range(rs):
    v, p, s = (u64([r[i] & ~0xFFF for r in rs]) for i in range(3))
    r = iommu_map_split(v, p, s, X86, backend="numba")
    covered = np.zeros(len(rs), dtype=object)
    for i, io, pg, c in zip(r.range_index.tolist(), r.iova.tolist(), r.pgsize.tolist(), r.count.tolist()):
        assert io % pg == 0
        covered[i] += pg * c
    for i in range(len(rs)):
        assert covered[i] == int(s[i])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 999])
def test_one_pass_equals_count_emit_and_reference(n):
    # two threads writing towards each other (one pass), count -> emit, and the
    # fallback when ranges need more chunks than the one-pass slack holds
    from dmabuf_lab.kernels import iommu_map as ms
    rng = np.random.default_rng(n)
    x86 = (1 << 12) | (1 << 21) | (1 << 30)
    iova = rng.integers(0, 1 << 34, n).astype(np.uint64) << np.uint64(12)
    paddr = np.where(rng.random(n) < 0.5, iova, rng.integers(0, 1 << 34, n).astype(np.uint64) << np.uint64(12))
    paddr = paddr.astype(np.uint64)
    paddr[::11] += np.uint64(0x800)  # misaligned: -EINVAL, no chunks
    small = rng.integers(1, 1024, n).astype(np.uint64) << np.uint64(12)
    # iova == paddr 4K below a 2M boundary, 4K + k x 2M + 4K: three chunks each, more than the slack
    edge = (rng.integers(1, 1 << 20, n).astype(np.uint64) << np.uint64(21)) - np.uint64(4096)
    big = (np.uint64(2) << np.uint64(20)) * rng.integers(1, 4, n).astype(np.uint64) + np.uint64(8192)
    for size, pa, io in ((small, paddr, iova), (big, edge, edge)):
        want = ms.iommu_map_split(io, pa, size, x86, backend="reference")
        for one_pass in (True, False):
            got = ms.iommu_map_split(io, pa, size, x86, backend="numba", one_pass=one_pass)
            for f in ("range_index", "iova", "paddr", "pgsize", "count", "status"):
                assert np.array_equal(getattr(got, f), getattr(want, f)), (one_pass, f)
    if n == 999:
        assert np.all(want.status == 0) and len(want) == 3 * n  # the fallback really ran


def test_one_pass_range_with_more_steps_than_the_step_buffer():
    # every power of two from 4K to 1T a page size: a range from just above 4K to
    # just below 1T climbs and descends through them, far more steps than the
    # one-pass kernel keeps between walking and writing; it walks such a range again
    from dmabuf_lab.kernels import iommu_map as ms
    from dmabuf_lab.kernels.iommu_map.cpu import STEP_BUFFER
    bitmap = sum(1 << b for b in range(12, 41))
    start = np.uint64(1 << 12)
    iova = u64([start, 1 << 41, start + np.uint64(1 << 42)])
    size = u64([(1 << 40) - 2 * (1 << 12), 1 << 12, (1 << 40) - 3 * (1 << 12)])
    want = ms.iommu_map_split(iova, iova, size, bitmap, backend="reference")
    steps = np.bincount(want.range_index, minlength=3)
    assert steps[0] > STEP_BUFFER and steps[2] > STEP_BUFFER and steps[1] == 1
    got = ms.iommu_map_split(iova, iova, size, bitmap, backend="numba", one_pass=True)
    assert same(got, want)
    assert same(got, iommu_map_split_python(iova, iova, size, bitmap))
