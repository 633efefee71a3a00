"""dmabuf_lab.experiments.translation: oracles from docs/sources.md and hand arithmetic."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from dmabuf_lab.experiments import translation as T

K, M, G = 1 << 10, 1 << 20, 1 << 30


@pytest.fixture(scope="module")
def topo():
    return T.xe_topology()


def _vf1(topo):
    # VF index 1's window per docs/sources.md: IOV BAR2 base 0x40_0000_0000, 4 GiB per VF
    lo, hi = int(topo.blk_ptr[1]), int(topo.blk_ptr[2])
    return 0x40_0000_0000 + 1 * 4 * G, list(zip(topo.blk_dpa[lo:hi].tolist(), topo.blk_len[lo:hi].tolist()))


def test_preset_windows_match_address_facts(topo):
    assert int(topo.win_base[0]) == 0x40_0000_0000
    assert int(topo.win_size[0]) == 4 * G
    assert topo.num_vfs == 8
    b = T.vf_blocks(topo, 1)
    assert b["bytes"].sum() == int(topo.quota[1])
    assert all(int(d) % (2 * M) == 0 for d in b["dpa"])  # 2 MiB-aligned buddy blocks


def test_hand_picked_cases(topo):
    f = T.hand_picked(topo).to_dicts()
    by = {r["case"]: r for r in f}
    w, blocks = _vf1(topo)
    assert by["4 KiB at the start of the BAR"]["reasons"] == "agree"
    assert by["4 KiB at the start of the BAR"]["rfc_dpa"] == f"{blocks[0][0]:#x}"
    # get_order(12K) = 2: the entry claims 16 KiB (docs/sources.md)
    assert by["12 KiB range"]["rfc_claims"] == 16 * K and by["12 KiB range"]["reasons"] == "order overstated"
    # get_order(2M + 4K) = 10: 4 MiB claimed
    assert by["2 MiB + 4 KiB range"]["rfc_claims"] == 4 * M
    cross = by["16 KiB across a block boundary"]
    assert cross["segments"] == 2 and cross["reasons"] == "block crossing"
    # the second half lives at the start of VF1's second block
    assert cross["correct_dpa"].endswith(f"{blocks[1][0]:#x}/8K")
    assert by["last page of the BAR"]["rfc"] == "-ENODEV"
    assert by["last page of the BAR"]["bar_address"] == f"{w + 4 * G - 4096:#x}"
    assert by["last page, LMEM fills the BAR"]["correct"] == "ok"
    assert by["last page, LMEM fills the BAR"]["rfc"] == "-ENODEV"
    assert by["16 KiB past the end of the quota"]["correct"] == "-ERANGE"
    assert by["16 KiB past the end of the quota"]["rfc"] == "ok"


def test_disagreement_counts_and_bytes(topo):
    w, blocks = _vf1(topo)
    boundary = blocks[0][1]
    starts = [w, w + 64 * K, w + boundary - 8 * K]
    lengths = [4 * K, 12 * K, 16 * K]
    row = T.disagreement(starts, lengths, topo, backend="reference")
    assert row["ranges"] == 3 and row["disagree"] == 2
    assert row["order overstated"] == 1 and row["block crossing"] == 1 and row["last page"] == 0
    assert row["claimed_extra_bytes"] == 4 * K          # 16K claimed for 12K
    assert row["misplaced_bytes"] == 8 * K              # the crossing range's tail
    assert row["correct_segments"] == 4


def test_disagreement_sweep_and_long_form(topo):
    f = T.disagreement_sweep([200, 400], topo, seed=3, backend="reference")
    assert f["ranges"].to_list() == [200, 400]
    assert (f["disagree"] <= f["ranges"]).all()
    long = T.reasons_long(f)
    assert set(long["reason"]) == set(T.REASONS)
    assert long.height == 2 * len(T.REASONS)


def test_random_ranges_stay_in_the_quota_at_start(topo):
    s, ln = T.random_ranges(1000, topo, seed=1, max_pages=16)
    off = (s - np.uint64(0x40_0000_0000)) % np.uint64(4 * G)
    vf = (s - np.uint64(0x40_0000_0000)) // np.uint64(4 * G)
    assert np.all(off < topo.quota[vf.astype(np.int64)])
    assert np.all(s % 4096 == 0) and np.all(ln % 4096 == 0)
    assert ln.min() >= 4096 and ln.max() <= 16 * 4096
    s1, _ = T.random_ranges(50, topo, seed=1, vf=3)
    assert np.all((s1 - np.uint64(0x40_0000_0000)) // np.uint64(4 * G) == 3)


def test_variants_keep_windows(topo):
    two = T.two_mib_variant(topo)
    assert np.array_equal(two.quota, topo.quota)
    assert np.all(two.blk_len == 2 * M) and np.unique(two.blk_dpa).size == two.blk_dpa.size
    assert two.block_shift == 21
    whole = T.whole_bar_variant(topo)
    assert np.all(whole.quota == 4 * G)


def test_throughput_small():
    f = T.throughput([2000], backend_list=("reference", "numba"), variants=("RFC", "correct, 2 MiB blocks"), min_time=0.01)
    assert f.height == 4
    ref = f.filter(pl.col("backend") == "reference")
    assert ref["vs_reference"].to_list() == [1.0, 1.0]
    assert (f["roofline_ratio"] > 0).all()
    # bytes as the benchmark counts them: 48 B per range in RFC mode
    assert f.filter(pl.col("variant") == "RFC")["bytes_moved"][0] == 48 * 2000


def test_growth_slopes():
    n = [10_000, 100_000, 1_000_000]
    f = pl.DataFrame({"backend": ["a"] * 3 + ["b"] * 3, "variant": ["x"] * 6, "ranges": n + n,
                      "seconds": [1e-9 * x for x in n] + [1e-12 * x * x for x in n]})
    g = {r["backend"]: r for r in T.growth(f).to_dicts()}
    assert g["a"]["loglog_slope"] == pytest.approx(1.0)
    assert g["b"]["loglog_slope"] == pytest.approx(2.0)
    assert g["b"]["per_range_ratio"] == pytest.approx(100.0)


def test_bench_results(tmp_path):
    assert T.bench_results(tmp_path).height == 0
    doc = {"machine": "m1", "device": "cpu-x", "quick": True, "created_utc": "2026-01-01T00:00:00Z",
           "results": [{"kernel": "translate_sriov", "backend": "numba", "ranges": 1000, "ns_per_range": 2.0,
                        "roofline_ratio": 0.5, "vs_reference": 9.0, "vs_python_port": 100.0}]}
    (tmp_path / "m1-cpu-x-quick.json").write_text(json.dumps(doc))
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.warns(UserWarning, match="broken.json"):
        f = T.bench_results(tmp_path)
    assert f.height == 1 and f["device"][0] == "cpu-x" and f["quick"][0] is True


def test_buffer_ranges_are_disjoint_and_inside_the_quota(topo):
    s, ln = T.buffer_ranges(3000, topo, vf=2, seed=4, max_pages=64)
    base = 0x40_0000_0000 + 2 * 4 * G
    assert np.all(s[1:] >= s[:-1] + ln[:-1])            # ascending, no overlap
    assert int(s[0]) >= base and int(s[-1] + ln[-1]) <= base + int(topo.quota[2])
    assert ln.min() >= 4096 and ln.max() <= 64 * 4096
    with pytest.raises(ValueError):
        T.buffer_ranges(5000, topo, vf=0, max_pages=4096)   # ~2.4M pages into a 657K-page quota
