"""SR-IOV arithmetic: VF BAR placement, routing ids, pci_iov_vf_id.

Oracles: the worked example in docs/sources.md, the Intel X550
captures in shared/captures (VF0 of PF 05:00.0 is 05:10.0 with BAR0 at
0x80a00000 and BAR3 at 0x80b00000, 16K each; the IOV BAR0 resource spans
0x80a00000-0x80afffff for 64 VFs) and hand arithmetic.
"""
from hypothesis import given
from hypothesis import strategies as st

from dmabuf_lab.hw import Topology, load_topology
from dmabuf_lab.pci.bridge import HostBridge, host_bridge_function, root_port
from dmabuf_lab.pci.iov import (SriovCap, VfBar, pci_enable_sriov, pci_iov_resource_size, pci_iov_resource_start,
                                pci_iov_vf_bar_start, pci_iov_vf_id, pci_iov_virtfn_bus, pci_iov_virtfn_devfn,
                                vf_for_bar_address, virtfn_add)
from dmabuf_lab.pci.pci import Bar, PciDevice, pci_physfn, pci_resource_len, pci_resource_start

EINVAL = 22
ENOSYS = 38
GiB = 1 << 30


def x550_topology(num_vfs=2):
    """PF 0000:05:00.0 as captured: offset 128, stride 2, 64 VFs, IOV BAR0/BAR3 16K per VF."""
    t = Topology("x550")
    hb = t.add_host_bridge(HostBridge(0, 0))
    t.add_device(host_bridge_function("0000:00:00.0", 0x8086, 0x2020), host_bridge=hb)
    t.add_device(root_port("0000:00:1c.0", 0x8086, 0xA110, secondary=5, subordinate=5))
    pf = PciDevice("0000:05:00.0", 0x8086, 0x1563, bars=[Bar(0, 0x60_0480_0000, 4 << 20),
                                                          Bar(4, 0x60_04C0_4000, 16 << 10)])
    pf.sriov = SriovCap(initial_vfs=64, total_vfs=64, num_vfs=0, vf_offset=128, vf_stride=2, vf_device=0x1565,
                        vf_bars={0: VfBar(0, 0x80A0_0000, 0x4000, prefetchable=False),
                                 3: VfBar(3, 0x80B0_0000, 0x4000, prefetchable=False)})
    t.add_device(pf, parent="0000:00:1c.0")
    assert pci_enable_sriov(pf, num_vfs) == 0
    return t, pf


def test_x550_capture_vf0_name_and_bars():
    t, pf = x550_topology()
    vf0 = t.device("0000:05:10.0")
    assert vf0.is_virtfn and vf0.physfn is pf and vf0.device == 0x1565
    assert pci_resource_start(vf0, 0) == 0x80A0_0000 and pci_resource_len(vf0, 0) == 16 << 10
    assert pci_resource_start(vf0, 3) == 0x80B0_0000 and pci_resource_len(vf0, 3) == 16 << 10
    assert vf0.bars[0].virtual
    # PF resource 7 (IOV BAR0) spans 0x80a00000-0x80afffff: 64 VFs x 16K
    assert pci_resource_start(pf, 7) == 0x80A0_0000
    assert pci_resource_len(pf, 7) == 0x80AF_FFFF - 0x80A0_0000 + 1
    assert pci_resource_start(pf, 10) == 0x80B0_0000
    # VF1: routing id 0x500 + 128 + 2 = 0x582 -> 05:10.2, BAR0 16K further on
    vf1 = t.device("0000:05:10.2")
    assert pci_resource_start(vf1, 0) == 0x80A0_0000 + 0x4000
    assert pci_iov_vf_id(vf1) == 1
    t.validate()


def test_x550_last_vf_routing():
    t, pf = x550_topology()
    # VF63: 0x500 + 128 + 63*2 = 0x5fe -> bus 05, devfn 0xfe = slot 0x1f function 6
    assert pci_iov_virtfn_bus(pf, 63) == 0x05
    assert pci_iov_virtfn_devfn(pf, 63) == 0xFE


def test_routing_id_crosses_bus():
    pf = PciDevice("0000:03:00.0", 0x8086, 0xE211)
    pf.sriov = SriovCap(initial_vfs=300, total_vfs=300, num_vfs=0, vf_offset=1, vf_stride=1, vf_device=0xE211)
    # VF254: 0x300 + 1 + 254 = 0x3ff -> 03:1f.7 ; VF255: 0x400 -> bus 04 devfn 0
    assert (pci_iov_virtfn_bus(pf, 254), pci_iov_virtfn_devfn(pf, 254)) == (3, 0xFF)
    assert (pci_iov_virtfn_bus(pf, 255), pci_iov_virtfn_devfn(pf, 255)) == (4, 0x00)
    vf = virtfn_add(pf, 255)
    assert vf.bdf == "0000:04:00.0"
    assert pci_iov_vf_id(vf) == 255


def test_virtfn_helpers_reject_non_pf():
    dev = PciDevice("0000:03:00.0", 0x8086, 0xE211)
    assert pci_iov_virtfn_bus(dev, 0) == -EINVAL
    assert pci_iov_virtfn_devfn(dev, 0) == -EINVAL
    assert pci_iov_vf_id(dev) == -EINVAL
    assert pci_enable_sriov(dev, 1) == -ENOSYS


def test_enable_sriov_errors():
    t, pf = x550_topology(num_vfs=0)
    assert pci_enable_sriov(pf, 65) == -EINVAL        # more than TotalVFs
    assert pci_enable_sriov(pf, 2) == 0
    assert pci_enable_sriov(pf, 2) == -EINVAL         # already enabled
    assert len(t.vfs(pf)) == 2


@given(offset=st.integers(1, 200), stride=st.integers(1, 8), vf=st.integers(0, 40),
       slot=st.integers(0, 3), func=st.integers(0, 7))
def test_vf_id_inverts_routing(offset, stride, vf, slot, func):
    pf = PciDevice(f"0000:10:{slot:02x}.{func}", 0x15B3, 0x1021)
    pf.sriov = SriovCap(initial_vfs=64, total_vfs=64, num_vfs=0, vf_offset=offset, vf_stride=stride,
                        vf_device=0x101E)
    v = virtfn_add(pf, vf)
    rid = (0x10 << 8) + (slot << 3 | func) + offset + stride * vf      # hand formula
    assert (v.bus, v.devfn) == (rid >> 8, rid & 0xFF)
    assert pci_iov_vf_id(v) == vf
    assert pci_physfn(v) is pf and pci_physfn(pf) is pf


def test_xe_worked_example():
    t = load_topology("xe-sriov-8vf")
    pf = t.device("0000:03:00.0")
    assert pci_iov_resource_start(pf, 2) == 0x40_0000_0000
    assert pci_iov_resource_start(pf, 7 + 2) == 0x40_0000_0000
    assert pci_iov_resource_size(pf, 2) == 4 * GiB
    # address 0x41_8000_0000 -> VF index 1, offset 0x8000_0000 (docs/sources.md)
    assert vf_for_bar_address(pf, 2, 0x41_8000_0000) == (1, 0x8000_0000)
    vf1 = t.device("0000:03:00.2")
    assert pci_iov_vf_id(vf1) == 1
    assert pci_iov_vf_id(vf1) + 1 == 2          # xe's config index for the LMEM object
    assert vf1.bars[2].base == 0x40_0000_0000 + 1 * 4 * GiB
    assert pci_iov_vf_bar_start(pf, 1, 2) == 0x41_0000_0000
    # the last byte of VF1's BAR still belongs to VF1, the next byte to VF2
    assert vf_for_bar_address(pf, 2, 0x41_FFFF_FFFF) == (1, 4 * GiB - 1)
    assert vf_for_bar_address(pf, 2, 0x42_0000_0000) == (2, 0)
    # past the 8 enabled VFs, and below the window: no VF
    assert vf_for_bar_address(pf, 2, 0x48_0000_0000) is None
    assert vf_for_bar_address(pf, 2, 0x3F_FFFF_FFFF) is None


def test_xe_vf_names():
    t = load_topology("xe-sriov-8vf")
    pf = t.device("0000:03:00.0")
    names = [v.bdf for v in t.vfs(pf)]
    # offset 1, stride 1 from 03:00.0: functions 1..7 of slot 0, then 03:01.0
    assert names == [f"0000:03:00.{f}" for f in range(1, 8)] + ["0000:03:01.0"]
    assert [pci_iov_vf_id(t.device(n)) for n in names] == list(range(8))
