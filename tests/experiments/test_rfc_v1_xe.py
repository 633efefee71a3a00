"""RFC v1's xe PF import path as frames (dmabuf_lab.experiments.rfc_v1_xe).

Oracles: docs/sources.md (VF BAR layout: IOV BAR2 at 0x40_0000_0000, 4 GiB per VF;
the last-page lookup; start-only translation; get_order rounding up) and the VF's LMEM
blocks read from the preset topology, walked here by hand.
"""
from __future__ import annotations

import polars as pl
import pytest

from dmabuf_lab.experiments.litmus_frames import load_scenarios
from dmabuf_lab.experiments.rfc_v1_xe import (bug_table, dpa_per_page, get_order_table, import_vf_buffer,
                                              iov_match, vf_lookup)
from dmabuf_lab.hw import load_topology
from dmabuf_lab.revisions import get_revision

IOV_BAR2 = 0x40_0000_0000
PER_VF = 4 << 30
PAGE = 4096


def test_vf_lookup_misses_the_last_page_only_as_posted():
    df = vf_lookup(vf_ids=[1])
    # worked example: VF index 1 is 0000:03:00.2 (offset 1, stride 1 after 03:00.0)
    base = IOV_BAR2 + 1 * PER_VF
    want = {"first byte": base, "before the last page": base + PER_VF - PAGE - 1,
            "last page, first byte": base + PER_VF - PAGE, "last byte": base + PER_VF - 1}
    got = {w: a for w, a in df.select("where", "address").iter_rows()}
    assert got == want
    assert set(df["expected"]) == {"0000:03:00.2"}
    assert set(df["rfc-v1:fixed"]) == {"0000:03:00.2"}
    posted = dict(df.select("where", "rfc-v1").iter_rows())
    assert posted["first byte"] == posted["before the last page"] == "0000:03:00.2"
    assert posted["last page, first byte"] == posted["last byte"] == "none"


@pytest.mark.parametrize("length,order", [(4 << 10, 0), (8 << 10, 1), (12 << 10, 2), (2 << 20, 9),
                                          ((2 << 20) + (4 << 10), 10), (1 << 30, 18)])
def test_get_order_table_matches_the_facts(length, order):
    row = get_order_table([length]).row(0, named=True)
    assert row["order"] == order
    assert row["claims"] == PAGE << order
    assert row["overstated_by"] == (PAGE << order) - length


def _true_pieces(offset: int, length: int):
    """Walk VF 0000:03:00.2's LMEM blocks by hand: (buffer offset, dpa, bytes)."""
    vf = load_topology("xe-sriov-8vf").device("0000:03:00.2")
    out, pos, obj_off = [], 0, 0
    for dpa, n in vf.lmem.blocks:
        lo, hi = max(offset, obj_off), min(offset + length, obj_off + n)
        if lo < hi:
            out.append((pos, dpa + (lo - obj_off), hi - lo))
            pos += hi - lo
        obj_off += n
    return out


def test_block_boundary_posted_binds_linearly_fixed_splits():
    off, n = 0x7FE0_0000, 0x40_0000
    truth = _true_pieces(off, n)
    assert len(truth) == 2, "the range must cross one block edge of the preset"
    posted = import_vf_buffer([(off, n)], target="rfc-v1")
    fixed = import_vf_buffer([(off, n)], target="rfc-v1:fixed")
    assert posted["outcome"] == fixed["outcome"] == "iov"
    assert sorted(posted["truth"].iter_rows()) == truth
    # start-only translation: one run from the first DPA for the whole range
    assert list(posted["bind"].iter_rows()) == [(0, truth[0][1], n)]
    assert "mistranslation" in posted["findings"]
    assert list(fixed["bind"].iter_rows()) == truth
    assert fixed["findings"] == []
    e = posted["entries"].row(0, named=True)
    assert posted["entries"].height == 1 and e["dpa"] == truth[0][1] and e["claims"] == n


def test_dpa_per_page_counts_the_wrong_half():
    off, n = 0x7FE0_0000, 0x40_0000
    step = 64 << 10
    df = dpa_per_page([(off, n)], step=step)
    wrong = dict(df.group_by("series").agg(pl.col("wrong").sum()).iter_rows())
    first = _true_pieces(off, n)[0][2]
    assert wrong["rfc-v1"] == (n - first) // step
    assert wrong["rfc-v1:fixed"] == 0 and wrong["true DPA"] == 0


def test_overstated_segment_entry():
    r = import_vf_buffer([(0x0, 0x3000), (0x1_0000, 0x1000)], target="rfc-v1")
    first = r["entries"].row(0, named=True)
    assert first["range_bytes"] == 0x3000 and first["order"] == 2 and first["claims"] == 0x4000
    assert {"overstated-segment", "mistranslation"} <= set(r["findings"])


def test_iov_match_cases():
    df = iov_match()
    got = {(c, t): o for c, t, o in df.select("case", "target", "negotiated").iter_rows()}
    for t in ("rfc-v1", "rfc-v1:fixed"):
        assert got[("VF LMEM BAR -> its PF", t)] == "iov"
        assert got[("VF BAR 0 -> its PF", t)] != "iov"          # BARs must agree
        assert got[("VF LMEM BAR -> sibling VF", t)] != "iov"   # importer must be pci_physfn(exporter)
    # patch 3: the exporter is a VF; pci_physfn() of a PF is the PF, so only the fix refuses it
    assert got[("PF LMEM BAR -> the PF itself", "rfc-v1")] == "iov"
    assert got[("PF LMEM BAR -> the PF itself", "rfc-v1:fixed")] != "iov"


def test_bug_table_covers_every_declared_bug():
    scenarios = load_scenarios(select="rfc-v1-")
    df = bug_table(scenarios)
    assert df["bug"].to_list() == list(get_revision("rfc-v1").bugs)
    row = df.filter(pl.col("bug") == "start-only-translation").row(0, named=True)
    assert "rfc-v1-block-boundary" in row["declared"] and "rfc-v1-block-boundary" in row["shows"]
    row = df.filter(pl.col("bug") == "vf-lookup-last-page").row(0, named=True)
    assert row["scenario"] == "rfc-v1-vf-lookup-last-page"
    assert row["posted"] != row["fix"]
