"""The topology's P2P section: counted per root port and across them, equal to every pair.

The summary must give exactly the verdict counts that calling
``calc_map_type_and_dist()`` on every pair gives, while calling it far fewer
times than there are pairs.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from dmabuf_lab import cli
from dmabuf_lab.hw import PRESETS, load_topology
from dmabuf_lab.hw import render
from dmabuf_lab.hw.loaders import load_lspci
from dmabuf_lab.pci.p2pdma import MAP_TYPE_NAMES, calc_map_type_and_dist

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from big_capture import generate  # noqa: E402

LINE = re.compile(r"^\s+(PCI_P2PDMA_MAP_\w+), distance (\d+): (\d+) pairs?, e\.g\. (\S+) -> (\S+)$")


def _brute_force(topo) -> Counter:
    ends = render._p2p_ends(topo)
    pairs = [(a, b) for i, a in enumerate(ends) for b in ends[i + 1:]] + render._sriov_pairs(topo, ends)
    return Counter((MAP_TYPE_NAMES[mt], dist) for mt, dist in (calc_map_type_and_dist(a, b) for a, b in pairs))


def _summary_counts(text: str) -> Counter:
    section = text[text.index("P2P (provider -> client"):]
    out = Counter()
    for line in section.splitlines()[1:]:
        m = LINE.match(line)
        if m:
            out[(m.group(1), int(m.group(2)))] += int(m.group(3))
    return out


def _mixed_machine():
    """Two PCI segments (one host bridge on the whitelist, one not), ACS redirect on every
    third downstream port, NICs with two VFs each."""
    return load_lspci(generate(3 * 2 * 3 * 3, vfs_per_nic=2, ports=3, redirect_every=3,
                               switches_per_segment=3), name="mixed")


def test_summary_counts_every_pair_exactly():
    topo = _mixed_machine()
    text = topo.render_tree(p2p="summary")
    want = _brute_force(topo)
    assert sum(want.values()) > render.P2P_LIST_LIMIT
    # the machine is varied enough for the check to mean something
    kinds = {k for k, _ in want}
    assert {"PCI_P2PDMA_MAP_BUS_ADDR", "PCI_P2PDMA_MAP_THRU_HOST_BRIDGE",
            "PCI_P2PDMA_MAP_NOT_SUPPORTED"} <= kinds, want
    assert _summary_counts(text) == want
    # each example pair really has the verdict it illustrates
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            mt, dist = calc_map_type_and_dist(topo.device(m.group(4)), topo.device(m.group(5)))
            assert (MAP_TYPE_NAMES[mt], dist) == (m.group(1), int(m.group(2))), line


@pytest.mark.parametrize("name", list(PRESETS))
def test_summary_of_every_preset_matches_every_pair(name):
    topo = load_topology(name)
    want = _brute_force(topo)
    if not want:
        pytest.skip("no P2P pairs in this preset")
    assert _summary_counts(topo.render_tree(p2p="summary")) == want


def test_summary_asks_the_p2p_rules_far_fewer_times_than_there_are_pairs(monkeypatch):
    topo = load_lspci(generate(200, vfs_per_nic=0, ports=8, redirect_every=5), name="wide")
    ends = render._p2p_ends(topo)
    assert len(ends) >= 150
    calls = []
    real = render.p2p_verdict
    monkeypatch.setattr(render, "p2p_verdict", lambda a, b: calls.append(1) or real(a, b))
    text = topo.render_tree()
    pairs = len(ends) * (len(ends) - 1) // 2
    assert f"{pairs} pairs of {len(ends)} endpoints" in text
    assert "`--p2p all` lists every pair" in text
    assert len(calls) < 4 * len(ends), (len(calls), pairs)
    section = text[text.index("P2P (provider -> client"):].splitlines()
    assert len(section) < len(ends)


def test_small_machines_still_list_every_pair():
    text = load_topology("gpu-nic-same-switch").render_tree()
    assert "P2P (provider -> client: map type, distance):" in text
    assert "counted per root port" not in text


def test_p2p_all_on_request(capsys, tmp_path):
    capture = tmp_path / "lspci.txt"
    capture.write_text(generate(40, vfs_per_nic=0, ports=4, switches_per_segment=4))
    assert cli.main(["topology", "--from-lspci", str(capture), "--p2p", "all"]) == 0
    out = capsys.readouterr().out
    topo = load_lspci(capture)
    n = len(render._p2p_ends(topo))
    assert n > 12
    listed = [ln for ln in out.splitlines() if re.match(r"^  \S+ -> \S+: PCI_P2PDMA_MAP_", ln)]
    assert len(listed) == n * (n - 1) // 2
    assert cli.main(["topology", "--from-lspci", str(capture)]) == 0
    assert "counted per root port" in capsys.readouterr().out


def test_bus_numbers_that_look_like_quoted_printable_are_read_as_written():
    """'secondary=09' is lspci's own text, not an encoded tab."""
    topo = load_lspci(generate(60, vfs_per_nic=0, ports=4, switches_per_segment=4))
    port = topo.device("0000:08:00.0")
    assert port.secondary == 0x09
    assert topo.device("0000:09:00.0").parent is port
    assert not [n for n in topo.notes if "no bridge for bus" in n]


@pytest.mark.parametrize("argv", [["topology", ""], ["topology", "  "], ["topology", "--from-lspci", ""],
                                  ["topology", "--from-sysfs", ""]])
def test_an_empty_name_is_an_error_not_every_preset(argv, capsys):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "empty name" in err and err.count("\n") == 1
