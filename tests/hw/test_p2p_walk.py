"""calc_map_type_and_dist() from two upstream paths gives what the kernel's nested walk gives:
map type, distance and the ACS bridges it names, in the same order."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dmabuf_lab.hw import PRESETS, load_topology
from dmabuf_lab.hw.loaders import load_lspci
from dmabuf_lab.pci import p2pdma
from dmabuf_lab.pci.pci import pci_upstream_bridge

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from big_capture import generate  # noqa: E402


def nested_walk(provider, client):
    """The walk as the kernel writes it: for each provider-side bridge, walk the client side."""
    a, acs, dist_a, dist_b, common = provider, [], 0, 0, None
    while a is not None:
        dist_b = 0
        if p2pdma.pci_bridge_has_acs_redir(a):
            acs.append(a.bdf)
        bb = client
        while bb is not None:
            if a is bb:
                common = a
                break
            bb = pci_upstream_bridge(bb)
            dist_b += 1
        if common is not None:
            break
        a = pci_upstream_bridge(a)
        dist_a += 1
    if common is not None:
        bb = client
        while bb is not None and bb is not common:
            if p2pdma.pci_bridge_has_acs_redir(bb):
                acs.append(bb.bdf)
            bb = pci_upstream_bridge(bb)
    return common, dist_a + dist_b, acs


def _topologies():
    for name in PRESETS:
        yield name, load_topology(name)
    yield "acs-capture", load_lspci(ROOT / "data" / "captures" / "lspci-mellanox-connectx4-lx-vvv-acs.txt")
    yield "switches", load_lspci(generate(150, vfs_per_nic=2, ports=3, redirect_every=2, switches_per_segment=2))


@pytest.mark.parametrize("name, topo", list(_topologies()), ids=lambda x: x if isinstance(x, str) else "")
def test_paths_walk_as_the_kernel_does(name, topo):
    devs = list(topo.devices.values())
    compared = named_seen = 0
    for a in devs:
        for b in devs:
            _, dist, acs = nested_walk(a, b)
            log: list[str] = []
            mt, got = p2pdma._calc(a, b, log)
            assert got == dist, (a.bdf, b.bdf)
            if mt == p2pdma.PCI_P2PDMA_MAP_BUS_ADDR:
                assert not acs
            named = next((ln.rsplit("=", 1)[1] for ln in log if "disable_acs_redir=" in ln), None)
            if named is not None:
                assert named.split(";") == acs
                named_seen += 1
            compared += 1
    assert compared == len(devs) ** 2
    if name in ("switches", "gpu-nic-same-switch-acs"):
        assert named_seen > 0
