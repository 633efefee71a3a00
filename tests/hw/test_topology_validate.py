"""Topology.validate(): every inconsistency raises TopologyError naming the device and field."""
import os

import pytest

from dmabuf_lab.errors import LabInputError, TopologyError
from dmabuf_lab.hw import PRESETS, SystemRam, Topology, Vram, load_topology, page_is_ram
from dmabuf_lab.pci.bridge import HostBridge, host_bridge_function, root_port
from dmabuf_lab.pci.iov import SriovCap, VfBar, pci_enable_sriov, virtfn_add
from dmabuf_lab.pci.pci import Bar, PciDevice

GiB, MiB = 1 << 30, 1 << 20


def base_topology():
    t = Topology("t", ram=SystemRam([(0x1000, 0x9E000), (0x100000, 0x7FF00000)]))
    hb = t.add_host_bridge(HostBridge(0, 0))
    t.add_device(host_bridge_function("0000:00:00.0", 0x8086, 0x09A2), host_bridge=hb)
    t.add_device(root_port("0000:00:01.0", 0x8086, 0x347A, secondary=3, subordinate=3))
    return t


def gpu(bdf="0000:03:00.0", bar2=0x40_0000_0000, bar2_size=16 * GiB):
    return PciDevice(bdf, 0x8086, 0xE211, bars=[Bar(0, 0x9000_0000, 16 * MiB, prefetchable=False),
                                                Bar(2, bar2, bar2_size)])


def sriov_gpu(t, num=2, total=4):
    pf = gpu()
    pf.sriov = SriovCap(initial_vfs=total, total_vfs=total, num_vfs=0, vf_offset=1, vf_stride=1,
                        vf_device=0xE211, vf_bars={2: VfBar(2, 0x80_0000_0000, 4 * GiB)})
    t.add_device(pf, parent="0000:00:01.0")
    assert pci_enable_sriov(pf, num) == 0
    return pf


def expect(t, field, *words):
    with pytest.raises(TopologyError) as e:
        t.validate()
    assert e.value.field == field, str(e.value)
    for w in words:
        assert w in str(e.value)
    assert isinstance(e.value, LabInputError)
    return e.value


def test_sound_topology_passes():
    t = base_topology()
    sriov_gpu(t)
    assert t.validate() is t


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_validates(name):
    t = load_topology(name)
    assert t.validate() is t
    assert t.devices


def test_duplicate_bdf():
    t = base_topology()
    t.add_device(gpu(), parent="0000:00:01.0")
    t.add_device(gpu(bar2=0x50_0000_0000), parent="0000:00:01.0")
    expect(t, "bdf", "0000:03:00.0", "share")


def _gpu_and_neighbour(base, size):
    t = base_topology()
    t.add_device(gpu(), parent="0000:00:01.0")          # BAR0 0x9000_0000-0x90ff_ffff
    t.add_device(PciDevice("0000:03:00.1", 0x8086, 0xE2F7, bars=[Bar(0, base, size)]), parent="0000:00:01.0")
    return t


def test_overlapping_bars():
    expect(_gpu_and_neighbour(0x9080_0000, 1 * MiB), "bars[0]", "0000:03:00", "overlaps")
    # sharing only the last byte still overlaps; starting right after it does not
    expect(_gpu_and_neighbour(0x90FF_FFFF, 1), "bars[0]", "overlaps")
    assert _gpu_and_neighbour(0x9100_0000, 1 * MiB).validate()


def test_bar_overlapping_iov_window():
    t = base_topology()
    sriov_gpu(t)                                         # IOV BAR2 window 0x80_0000_0000 + 4 x 4 GiB
    t.device("0000:03:00.0").bars[2] = Bar(2, 0x81_0000_0000, 4 * GiB)   # inside VF1's slice
    expect(t, "bars[2]", "0000:03:00.0", "overlaps", "sriov.vf_bars[2]")


def test_bar_overlapping_ram():
    t = base_topology()
    t.add_device(PciDevice("0000:03:00.0", 0x8086, 0xE211, bars=[Bar(0, 0x4000_0000, 16 * MiB)]),
                 parent="0000:00:01.0")
    expect(t, "bars[0].base", "0000:03:00.0", "system RAM")


def test_non_power_of_two_bar():
    t = base_topology()
    t.add_device(PciDevice("0000:03:00.0", 0x8086, 0xE211, bars=[Bar(2, 0x40_0000_0000, 12 * GiB)]),
                 parent="0000:00:01.0")
    expect(t, "bars[2].size", "0000:03:00.0", "power of two")


def test_misaligned_bar():
    t = base_topology()
    t.add_device(PciDevice("0000:03:00.0", 0x8086, 0xE211, bars=[Bar(2, 0x40_8000_0000, 16 * GiB)]),
                 parent="0000:00:01.0")
    expect(t, "bars[2].base", "aligned")


def test_vf_bar_outside_iov_window():
    t = base_topology()
    pf = sriov_gpu(t)
    vf = t.device("0000:03:00.2")
    vf.bars[2] = Bar(2, 0x80_0000_0000 + 4 * 4 * GiB, 4 * GiB, virtual=True)   # just past a 4-VF window
    expect(t, "bars[2]", "0000:03:00.2", "outside", pf.bdf)


def test_vf_whose_pf_is_missing():
    t = base_topology()
    pf = gpu()
    pf.sriov = SriovCap(initial_vfs=4, total_vfs=4, num_vfs=1, vf_offset=1, vf_stride=1, vf_device=0xE211,
                        vf_bars={2: VfBar(2, 0x80_0000_0000, 4 * GiB)})
    pf.parent = t.device("00:01.0")
    pf.host_bridge = t.host_bridges[0]
    t.add_device(virtfn_add(pf, 0))           # the PF itself was never added
    expect(t, "physfn", "0000:03:00.1", "0000:03:00.0", "not in the topology")


def test_num_vfs_above_total():
    t = base_topology()
    pf = sriov_gpu(t)
    pf.sriov.num_vfs = 5
    expect(t, "sriov.num_vfs", "NumVFs 5", "TotalVFs 4")


def test_vf_at_wrong_address():
    t = base_topology()
    sriov_gpu(t, num=1)
    vf = t.device("0000:03:00.1")
    del t.devices[vf.bdf]
    vf.devfn = 0x05
    t.devices[vf.bdf] = vf
    expect(t, "bdf", "should be at 0000:03:00.1")


def test_vram_quota_bigger_than_vram():
    t = base_topology()
    pf = sriov_gpu(t)
    pf.vram = Vram(8 * GiB)
    t.device("0000:03:00.1").lmem_quota = 9 * GiB
    expect(t, "lmem_quota", "0000:03:00.1", "bigger")
    t.device("0000:03:00.1").lmem_quota = 5 * GiB
    t.device("0000:03:00.2").lmem_quota = 5 * GiB
    expect(t, "vram", "0000:03:00.0", "more than VRAM")


def test_non_power_of_two_vf_bar():
    t = base_topology()
    pf = gpu()
    pf.sriov = SriovCap(initial_vfs=4, total_vfs=4, num_vfs=0, vf_offset=1, vf_stride=1, vf_device=0xE211,
                        vf_bars={2: VfBar(2, 0x80_0000_0000, 3 * GiB)})
    t.add_device(pf, parent="0000:00:01.0")
    expect(t, "sriov.vf_bars[2].size_per_vf", "power of two")


def test_bus_outside_parent_range():
    t = base_topology()
    t.add_device(gpu("0000:05:00.0"), parent="0000:00:01.0")
    expect(t, "bus", "0000:05:00.0", "secondary bus 03")


def test_device_lookup_names_known_bdfs():
    t = load_topology("xe-sriov-8vf")
    assert t.device("03:00.0") is t.device("0000:03:00.0")
    with pytest.raises(TopologyError) as e:
        t.device("0000:09:00.0")
    assert "0000:03:00.0" in str(e.value) and "0000:03:01.0" in str(e.value)
    with pytest.raises(TopologyError):
        PciDevice("03:00", 0x8086, 0xE211)     # not a bdf


def test_unknown_preset_lists_presets():
    with pytest.raises(TopologyError) as e:
        load_topology("xe-sriov-9vf")
    msg = str(e.value)
    assert "xe-sriov-9vf" in msg
    for name in ("xe-sriov-8vf", "gpu-nic-same-switch", "gpu-nic-split-root", "vfio-passthrough"):
        assert name in msg


def test_path_without_loaders(tmp_path, monkeypatch):
    from dmabuf_lab.hw import presets
    f = tmp_path / "lspci.txt"
    f.write_text("03:00.0 VGA compatible controller: Intel Corporation Device e211\n")
    monkeypatch.setattr(presets, "_loaders", lambda: None)
    with pytest.raises(TopologyError) as e:
        load_topology(os.fspath(f))
    assert "snapshot loading is not available" in str(e.value)


def test_path_goes_to_loaders(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from dmabuf_lab.hw import presets
    f = tmp_path / "snap"
    f.write_text("x")
    seen = []
    monkeypatch.setattr(presets, "_loaders", lambda: SimpleNamespace(load_path=lambda p: seen.append(p) or "T"))
    assert load_topology(os.fspath(f)) == "T" and seen == [os.fspath(f)]


def test_page_is_ram():
    t = base_topology()
    assert page_is_ram(t, 1)                     # 0x1000
    assert not page_is_ram(t, 0)                 # page 0 is not in the ranges
    assert not page_is_ram(t, 0x9F)              # 0x9f000: first byte after the low range
    assert page_is_ram(t, 0x7FFFF)               # last page below 2 GiB
    assert not page_is_ram(t, 0x80000)
    assert not page_is_ram(t.ram, 0x40_0000_0000 >> 12)
    assert t.ram.contains(0x9E000, 0x1000) and not t.ram.contains(0x9E800, 0x1000)   # straddles the end
    with pytest.raises(TopologyError):
        SystemRam([(0, 0x2000), (0x1000, 0x1000)])
