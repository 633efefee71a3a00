"""The VRAM buddy allocator and xe_bo_addr over block lists."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.hw import LmemObject, Vram, induce_fragmentation, load_topology, xe_bo_addr, xe_bo_addr_range
from dmabuf_lab.kmodel import KernelError

MiB, GiB = 1 << 20, 1 << 30
SZ_2M = 2 * MiB


def _assert_sane(vram, objs):
    """Independent checks: live blocks are 2 MiB aligned, inside VRAM and pairwise disjoint."""
    spans = sorted((dpa, n) for o in objs for dpa, n in o.blocks)
    for dpa, n in spans:
        assert dpa % SZ_2M == 0 and n % SZ_2M == 0
        assert dpa % n == 0                       # buddy blocks are naturally aligned
        assert vram.base <= dpa and dpa + n <= vram.base + vram.size
    for (a, n), (b, _) in zip(spans, spans[1:]):
        assert a + n <= b, f"blocks {a:#x}+{n:#x} and {b:#x} overlap"
    assert vram.used == sum(n for _, n in spans)


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 40), st.booleans(), st.integers(0, 1000)),
                min_size=1, max_size=40))
def test_random_alloc_free_never_overlaps_and_merges_back(ops):
    vram = Vram(96 * MiB)        # not a power of two: roots of 64 + 32 MiB
    live = []
    for do_alloc, nblocks, contiguous, pick in ops:
        if do_alloc or not live:
            obj = vram.alloc(nblocks * SZ_2M - (MiB if pick % 2 else 0), contiguous=contiguous)
            if obj is not None:
                assert obj.size == nblocks * SZ_2M     # rounded up to whole 2 MiB blocks
                if contiguous:
                    assert obj.is_contiguous
                live.append(obj)
        else:
            live.pop(pick % len(live)).free()
        _assert_sane(vram, live)
        vram.check()
    for obj in live:
        obj.free()
    assert vram.used == 0
    # fully merged: the two roots again
    assert vram.free_blocks() == [(0, 64 * MiB), (64 * MiB, 32 * MiB)]


def test_alloc_failure_leaves_state_unchanged():
    vram = Vram(16 * MiB)
    a = vram.alloc(10 * MiB)
    before = vram.free_blocks()
    assert vram.alloc(8 * MiB) is None        # only 6 MiB left
    assert vram.free_blocks() == before
    a.free()
    assert vram.free_blocks() == [(0, 16 * MiB)]


def test_fragmentation_makes_quota_non_contiguous():
    vram = Vram(64 * MiB)
    kept = induce_fragmentation(vram, 8)       # 8 x 2 MiB, every second one freed
    assert [o.blocks for o in kept] == [[(0, SZ_2M)], [(4 * MiB, SZ_2M)], [(8 * MiB, SZ_2M)],
                                        [(12 * MiB, SZ_2M)]]
    q = vram.alloc(6 * MiB)
    # 6 MiB = 4 MiB + 2 MiB; the 4 MiB comes from above the scratch area, the 2 MiB fills a hole
    assert not q.is_contiguous
    assert sorted(n for _, n in q.blocks) == [SZ_2M, 4 * MiB]
    holes = {2 * MiB, 6 * MiB, 10 * MiB, 14 * MiB}
    assert any(dpa in holes for dpa, _ in q.blocks)
    with pytest.raises(TopologyError):
        Vram(3 * MiB)                          # not a multiple of 2 MiB


def test_double_free_is_reported():
    vram = Vram(8 * MiB)
    o = vram.alloc(SZ_2M)
    o.free()
    with pytest.raises(TopologyError):
        o.free()


def test_xe_bo_addr_walks_blocks():
    vram = Vram(32 * GiB)
    # hand-made object: 2 MiB at 0x4_0000_0000, then 4 MiB at 0x1_0020_0000
    obj = LmemObject(vram, [(0x4_0000_0000, SZ_2M), (0x1_0020_0000, 4 * MiB)], name="hand")
    assert xe_bo_addr(obj, 0) == 0x4_0000_0000
    assert xe_bo_addr(obj, SZ_2M - 1, 1) == 0x4_0000_0000 + SZ_2M - 1
    assert xe_bo_addr(obj, SZ_2M - 4096) == 0x4_0000_0000 + SZ_2M - 4096
    assert xe_bo_addr(obj, SZ_2M) == 0x1_0020_0000                   # first byte of block 2
    assert xe_bo_addr(obj, SZ_2M + 0x1234) == 0x1_0020_0000 + 0x1234
    assert xe_bo_addr(obj, 6 * MiB - 4096) == 0x1_0020_0000 + 4 * MiB - 4096
    with pytest.raises(KernelError) as e:
        xe_bo_addr(obj, 6 * MiB)                                     # past the end
    assert e.value.errno == 22
    with pytest.raises(KernelError):
        xe_bo_addr(obj, -4096)
    # a range across the boundary splits into two DPA pieces
    assert xe_bo_addr_range(obj, SZ_2M - 4096, 8192) == [(0x4_0000_0000 + SZ_2M - 4096, 4096),
                                                          (0x1_0020_0000, 4096)]


def test_xe_preset_lmem_quotas():
    t = load_topology("xe-sriov-8vf")
    pf = t.device("0000:03:00.0")
    vfs = t.vfs(pf)
    assert pf.vram.size == 24 * GiB
    quota = 2 * GiB + 512 * MiB + 6 * MiB
    for vf in vfs:
        assert vf.lmem.size == quota
        assert len(vf.lmem.ranges) > 1, f"{vf.bdf} quota is contiguous"
    _assert_sane(pf.vram, pf.vram.objects)
    pf.vram.check()
    # the worked example: VF index 1, BAR offset 0x8000_0000 -> walk its blocks by hand
    vf1 = vfs[1]
    off, pos = 0x8000_0000, 0
    for dpa, n in vf1.lmem.blocks:
        if off < pos + n:
            expect = dpa + off - pos
            break
        pos += n
    assert xe_bo_addr(vf1.lmem, 0x8000_0000) == expect
