"""Above ACROSS_BUCKET_LIMIT buckets the P2P summary counts pairs per host bridge and whitelist
class; its counts per verdict must equal a verdict asked of every pair, and its cost and its
length must grow linearly with the number of host bridges."""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from dmabuf_lab.hw import render
from dmabuf_lab.hw.loaders import load_lspci
from dmabuf_lab.pci import p2pdma
from dmabuf_lab.pci.p2pdma import MAP_TYPE_NAMES, p2p_verdict

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from big_capture import generate  # noqa: E402
from capture_shapes import flat  # noqa: E402

SHORT = {v.replace("PCI_P2PDMA_MAP_", ""): k for k, v in MAP_TYPE_NAMES.items()}
LINE = re.compile(r"^    (?P<text>.*), distance (?P<d>\d+): (?P<n>\d+) pairs?, e\.g\. (?P<a>\S+) -> (?P<b>\S+)$")
BOTH = re.compile(r"\((?P<against>\w+) if against P2P, (?P<allowed>\w+) if for it\)")


def _key(text: str, dist: int) -> tuple:
    m = BOTH.search(text)
    if m:
        return SHORT[m.group("against")], SHORT[m.group("allowed")], dist
    mt = next(k for k, v in MAP_TYPE_NAMES.items() if text == v)
    return mt, mt, dist


def _summary(topo) -> Counter:
    out = Counter()
    for line in render.p2p_summary(topo):
        m = LINE.match(line)
        if m:
            out[_key(m.group("text"), int(m.group("d")))] += int(m.group("n"))
    return out


def _every_pair(topo) -> Counter:
    ends = render._p2p_ends(topo)
    pairs = [(a, b) for i, a in enumerate(ends) for b in ends[i + 1:]] + render._sriov_pairs(topo, ends)
    out = Counter()
    for a, b in pairs:
        v = p2p_verdict(a, b)
        out[(v.map_type, v.map_type_if_allowed, v.distance)] += 1
    return out


@pytest.mark.parametrize("text", [flat(120), generate(1200, vfs_per_nic=2, ports=3, redirect_every=2,
                                                       switches_per_segment=2)], ids=["flat", "switches"])
def test_class_counts_equal_every_pair(text, monkeypatch):
    monkeypatch.setattr(render, "ACROSS_BUCKET_LIMIT", 1)
    topo = load_lspci(text)
    every = _every_pair(topo)
    assert sum(every.values()) > 1000 and _summary(topo) == every


def test_flat_summary_cost_and_length_grow_linearly(monkeypatch):
    calls = []
    real = p2pdma._calc
    monkeypatch.setattr(p2pdma, "_calc", lambda *a: calls.append(1) or real(*a))
    sizes = {}
    for n in (800, 1600):
        calls.clear()
        lines = render.p2p_summary(load_lspci(flat(n)))
        sizes[n] = (len(calls), len(lines))
    (c1, l1), (c2, l2) = sizes[800], sizes[1600]
    assert c2 <= 2.2 * c1 and l2 <= 2.2 * l1, sizes
