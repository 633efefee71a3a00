"""PCI P2P map types and distances, checked against the rules of drivers/pci/p2pdma.c.

The expected distances are counted by hand from each tree: one hop per
upstream-bridge step from each device to their common bridge.
"""
from types import SimpleNamespace

from dmabuf_lab.hw import Topology, load_topology
from dmabuf_lab.pci.bridge import (PCI_ACS_RR, HostBridge, host_bridge_function, root_port, switch_downstream_port,
                                   switch_upstream_port)
from dmabuf_lab.pci.p2pdma import (PCI_P2PDMA_MAP_BUS_ADDR, PCI_P2PDMA_MAP_NONE, PCI_P2PDMA_MAP_NOT_SUPPORTED,
                                   PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, PCI_P2PDMA_MAP_UNKNOWN, REQ_SAME_HOST_BRIDGE,
                                   WhitelistEntry, calc_map_type_and_dist, map_type_between, pci_p2pdma_distance,
                                   pci_p2pdma_distance_many, pci_p2pdma_map_type, pcim_p2pdma_init,
                                   pcim_p2pdma_provider)
from dmabuf_lab.pci.pci import Bar, PciDevice


def test_enum_values_match_header():
    # include/linux/pci-p2pdma.h: UNKNOWN = 0, NONE, NOT_SUPPORTED, BUS_ADDR, THRU_HOST_BRIDGE
    assert (PCI_P2PDMA_MAP_UNKNOWN, PCI_P2PDMA_MAP_NONE, PCI_P2PDMA_MAP_NOT_SUPPORTED,
            PCI_P2PDMA_MAP_BUS_ADDR, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE) == (0, 1, 2, 3, 4)


def _ep(bdf, **kw):
    bus, slot, func = int(bdf[5:7], 16), int(bdf[8:10], 16), int(bdf[11])
    base = 0x50_0000_0000 + (bus << 28) + ((slot << 3 | func) << 20)
    return PciDevice(bdf, 0x15B3, 0x1021, bars=[Bar(0, base, 1 << 20)], **kw)


def switch_tree(dsp_acs=0, hb_device=0x09A2, whitelist=None, cpu=False):
    """RP 00:01.0 -> USP 01:00.0 -> DSPs 02:00.0 (A at 03:00.0) and 02:01.0 (B at 04:00.0)."""
    kw = {} if whitelist is None else {"p2pdma_whitelist": whitelist}
    t = Topology("switch", cpu_supports_p2pdma=cpu, **kw)
    hb = t.add_host_bridge(HostBridge(0, 0))
    t.add_device(host_bridge_function("0000:00:00.0", 0x8086, hb_device), host_bridge=hb)
    t.add_device(root_port("0000:00:01.0", 0x8086, 0x347A, secondary=1, subordinate=4))
    t.add_device(switch_upstream_port("0000:01:00.0", 0x1000, 0xC030, secondary=2, subordinate=4),
                 parent="0000:00:01.0")
    t.add_device(switch_downstream_port("0000:02:00.0", 0x1000, 0xC030, secondary=3, acs_ctrl=dsp_acs),
                 parent="0000:01:00.0")
    t.add_device(switch_downstream_port("0000:02:01.0", 0x1000, 0xC030, secondary=4), parent="0000:01:00.0")
    a = t.add_device(_ep("0000:03:00.0"), parent="0000:02:00.0")
    a2 = t.add_device(_ep("0000:03:00.1"), parent="0000:02:00.0")
    b = t.add_device(_ep("0000:04:00.0"), parent="0000:02:01.0")
    t.validate()
    return t, a, a2, b


def split_tree(hb_device=0x09A2, cpu=False):
    """Two root ports of one host bridge: A at 01:00.0 below 00:01.0, B at 02:00.0 below 00:03.0."""
    t = Topology("split", cpu_supports_p2pdma=cpu)
    hb = t.add_host_bridge(HostBridge(0, 0))
    t.add_device(host_bridge_function("0000:00:00.0", 0x8086, hb_device), host_bridge=hb)
    t.add_device(root_port("0000:00:01.0", 0x8086, 0x347A, secondary=1, subordinate=1))
    t.add_device(root_port("0000:00:03.0", 0x8086, 0x347C, secondary=2, subordinate=2))
    a = t.add_device(_ep("0000:01:00.0"), parent="0000:00:01.0")
    b = t.add_device(_ep("0000:02:00.0"), parent="0000:00:03.0")
    t.validate()
    return t, a, b


def test_same_switch_bus_addr():
    _, a, a2, b = switch_tree()
    # A -> DSP0 -> USP <- DSP1 <- B: 2 + 2 hops
    assert calc_map_type_and_dist(a, b) == (PCI_P2PDMA_MAP_BUS_ADDR, 4)
    assert pci_p2pdma_distance(a, b) == 4
    # two functions of one device: one hop up, one down
    assert calc_map_type_and_dist(a, a2) == (PCI_P2PDMA_MAP_BUS_ADDR, 2)
    assert calc_map_type_and_dist(a, a) == (PCI_P2PDMA_MAP_BUS_ADDR, 0)
    assert pci_p2pdma_distance_many(a, [b, a2]) == 6


def test_acs_redirect_goes_through_host_bridge():
    _, a, _, b = switch_tree(dsp_acs=PCI_ACS_RR)
    log = []
    assert calc_map_type_and_dist(a, b, log) == (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 4)
    assert any("pci=disable_acs_redir=0000:02:00.0" in line for line in log)
    # same tree, host bridge not whitelisted: no P2P at all
    _, a, _, b = switch_tree(dsp_acs=PCI_ACS_RR, hb_device=0x4660)
    assert map_type_between(a, b) == PCI_P2PDMA_MAP_NOT_SUPPORTED
    assert pci_p2pdma_distance(a, b) == -1


def test_acs_on_the_clients_path_counts_too():
    _, a, _, b = switch_tree(dsp_acs=PCI_ACS_RR, hb_device=0x4660)
    # B is the provider now; the ACS port sits on the client's side of the walk
    assert calc_map_type_and_dist(b, a)[0] == PCI_P2PDMA_MAP_NOT_SUPPORTED


def test_host_bridge_whitelist():
    _, a, b = split_tree()
    # no common upstream bridge: A, RP1 (2) + B, RP3 (2)
    assert calc_map_type_and_dist(a, b) == (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 4)
    assert pci_p2pdma_distance(a, b) == 4
    _, a, b = split_tree(hb_device=0x4660)
    log = []
    assert calc_map_type_and_dist(a, b, log) == (PCI_P2PDMA_MAP_NOT_SUPPORTED, 4)
    assert pci_p2pdma_distance(a, b) == -1
    assert any("not in P2PDMA whitelist: 8086:4660" in line for line in log)
    # a Zen CPU forwards P2P whatever the host bridge
    _, a, b = split_tree(hb_device=0x4660, cpu=True)
    assert map_type_between(a, b) == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE


def test_req_same_host_bridge():
    """An E5 host bridge (REQ_SAME_HOST_BRIDGE) allows P2P only inside one host bridge."""
    t = Topology("two-hb")
    for dom in (0, 1):
        hb = t.add_host_bridge(HostBridge(dom, 0))
        t.add_device(host_bridge_function(f"{dom:04x}:00:00.0", 0x8086, 0x3C00), host_bridge=hb)
        t.add_device(root_port(f"{dom:04x}:00:01.0", 0x8086, 0x3C02, secondary=1, subordinate=1))
    a = t.add_device(_ep("0000:01:00.0"), parent="0000:00:01.0")
    b = t.add_device(_ep("0001:01:00.0"), parent="0001:00:01.0")
    assert map_type_between(a, b) == PCI_P2PDMA_MAP_NOT_SUPPORTED
    t2, a2, b2 = split_tree(hb_device=0x3C00)
    assert map_type_between(a2, b2) == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE


def test_custom_whitelist():
    entry = WhitelistEntry(0x8086, 0x4660, 0, "lab test")
    t, a, _, b = switch_tree(dsp_acs=PCI_ACS_RR, hb_device=0x4660, whitelist=[entry])
    assert map_type_between(a, b) == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE
    t, a, _, b = switch_tree(dsp_acs=PCI_ACS_RR, whitelist=[])
    assert map_type_between(a, b) == PCI_P2PDMA_MAP_NOT_SUPPORTED
    assert REQ_SAME_HOST_BRIDGE == 1


def test_provider_object_and_non_pci_client():
    _, a, _, b = switch_tree()
    # the kernel's pci_p2pdma_map_type() answers only for an owner that ran pcim_p2pdma_init()
    assert pci_p2pdma_map_type(SimpleNamespace(owner=a, bus_offset=0), b) == PCI_P2PDMA_MAP_NOT_SUPPORTED
    assert pcim_p2pdma_init(a) == 0
    provider = pcim_p2pdma_provider(a, 0)
    assert provider.owner is a
    assert pci_p2pdma_map_type(provider, b) == PCI_P2PDMA_MAP_BUS_ADDR
    assert pci_p2pdma_map_type(provider, SimpleNamespace(parent=None)) == PCI_P2PDMA_MAP_NOT_SUPPORTED
    # the lab's two-device helper takes a provider-like object too
    assert map_type_between(SimpleNamespace(owner=b, bus_offset=0), a) == PCI_P2PDMA_MAP_BUS_ADDR
    assert map_type_between(SimpleNamespace(owner=b, bus_offset=0), SimpleNamespace(parent=None)) \
        == PCI_P2PDMA_MAP_NOT_SUPPORTED
    # a non-PCI child of a PCI device is judged by its PCI parent
    child = SimpleNamespace(parent=b)
    assert pci_p2pdma_distance(a, child) == 4
    assert pci_p2pdma_distance(a, SimpleNamespace(parent=None)) == -1
    assert pci_p2pdma_distance_many(a, []) == -1


def test_vfs_walk_through_their_pf():
    t = load_topology("xe-sriov-8vf")
    pf = t.device("0000:03:00.0")
    vf0, vf1 = t.vfs(pf)[:2]
    # a VF's upstream bridge is its PF's: VF -> DSP <- PF
    assert calc_map_type_and_dist(vf0, pf) == (PCI_P2PDMA_MAP_BUS_ADDR, 2)
    assert calc_map_type_and_dist(vf1, vf0) == (PCI_P2PDMA_MAP_BUS_ADDR, 2)


def test_presets_p2p_outcomes():
    def pair(name, a, b):
        t = load_topology(name)
        return map_type_between(t.device(a), t.device(b)), pci_p2pdma_distance(t.device(a), t.device(b))
    assert pair("gpu-nic-same-switch", "03:00.0", "04:00.0") == (PCI_P2PDMA_MAP_BUS_ADDR, 4)
    assert pair("gpu-nic-same-switch-acs", "03:00.0", "04:00.0") == (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 4)
    assert pair("gpu-nic-split-root", "01:00.0", "02:00.0") == (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, 4)
    assert pair("gpu-nic-split-root-unlisted", "01:00.0", "02:00.0") == (PCI_P2PDMA_MAP_NOT_SUPPORTED, -1)


def test_cached_map_type():
    _, a, _, b = switch_tree()
    a.p2pdma = SimpleNamespace(map_types={})
    assert map_type_between(a, b) == PCI_P2PDMA_MAP_BUS_ADDR
    assert a.p2pdma.map_types == {b.routing_id: PCI_P2PDMA_MAP_BUS_ADDR}
