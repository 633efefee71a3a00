"""Every shipped capture loads, and its SR-IOV numbers are the ones printed in it.

Expected values are copied by hand from the capture text (line numbers given),
and VF addresses are worked out here with the SR-IOV rule
``VF n BAR = IOV BAR base + n * per-VF size`` and ``VF n routing id = PF + offset + n * stride``.
"""
from pathlib import Path

import pytest

from dmabuf_lab.hw.loaders import load_bufinfo, load_lspci, load_path, read_lspci
from dmabuf_lab.hw.loaders.capture_json import capture_topology_to_json

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
LSPCI = sorted(CAPTURES.glob("lspci-*.txt"))
K = 1024
M = 1024 * K


def test_there_are_captures_and_a_readme():
    assert len(LSPCI) >= 5
    readme = (CAPTURES.parent / "README.md").read_text()
    for f in CAPTURES.iterdir():
        assert f.name in readme, f"{f.name} has no source line in data/README.md"


@pytest.mark.parametrize("path", LSPCI, ids=lambda p: p.name)
def test_each_lspci_capture_loads_as_a_topology(path):
    topo = load_path(path)
    assert topo.devices
    topo.validate()
    records = capture_topology_to_json(topo)
    assert {r["bdf"] for r in records} == set(topo.devices)
    for rec in records:
        for bar in rec["bars"]:
            assert set(bar) >= {"index", "base", "size", "prefetchable", "is64"}


def test_connectx7_sriov_block_as_printed():
    # lspci-connectx7-1.txt lines 72-76
    topo = load_path(CAPTURES / "lspci-connectx7-1.txt")
    pf = topo.device("0000:21:00.0")
    s = pf.sriov
    assert (s.initial_vfs, s.total_vfs, s.num_vfs) == (16, 16, 0)
    assert (s.vf_offset, s.vf_stride, s.vf_device) == (2, 1, 0x101e)
    # line 8: Region 0: Memory at 500aa000000 (64-bit, prefetchable) [size=32M]
    assert (pf.bars[0].base, pf.bars[0].size) == (0x500aa000000, 32 * M)
    rec = next(r for r in capture_topology_to_json(topo) if r["bdf"] == "0000:21:00.0")
    # line 76: IOV Region 0 base only; lspci prints no per-VF size
    assert rec["sriov"]["vf_bars"] == [{"index": 0, "base": 0x00000500ae000000, "size_per_vf": None,
                                        "prefetchable": True, "is64": True}]
    assert any("per-VF size of IOV BAR 0 not printed" in m for m in topo.missing)


def test_connectx7_vf_routing_ids_follow_offset_and_stride():
    from dmabuf_lab.pci.iov import pci_iov_virtfn_bdf
    pf = load_path(CAPTURES / "lspci-connectx7-2.txt").device("0000:81:00.0")
    # 81:00.0 is routing id 0x8100; VF n is 0x8100 + 2 + n
    assert pci_iov_virtfn_bdf(pf, 0) == "0000:81:00.2"
    assert pci_iov_virtfn_bdf(pf, 5) == "0000:81:00.7"
    assert pci_iov_virtfn_bdf(pf, 6) == "0000:81:01.0"
    assert pci_iov_virtfn_bdf(pf, 15) == "0000:81:02.1"


def test_x550_pf_and_vf_blocks_together_give_the_vf_bar_layout():
    # the PF block (lspci -vv, before VFs were enabled) and VF 05:10.0 (lspci -v) from one machine
    topo = load_lspci([CAPTURES / "lspci-intel-x550-1.txt", CAPTURES / "lspci-intel-x550-vf-1.txt"])
    pf, vf = topo.device("0000:05:00.0"), topo.device("0000:05:10.0")
    # PF lines 64-68: offset 128, stride 2, device 1565, IOV regions 0 and 3
    assert (pf.sriov.vf_offset, pf.sriov.vf_stride, pf.sriov.vf_device) == (128, 2, 0x1565)
    # 05:00.0 = routing id 0x0500; + 128 = 0x0580 = bus 05, devfn 0x80 = slot 0x10 fn 0
    assert vf.physfn is pf and vf.vf_index == 0
    # VF lines 4-5: Memory at 80a00000 / 80b00000 [virtual] [size=16K]; -v prints no index,
    # the layout places them at IOV BAR 0 and IOV BAR 3
    assert sorted(vf.bars) == [0, 3]
    assert vf.bars[0].base == 0x80a00000 + 0 * 16 * K
    assert vf.bars[3].base == 0x80b00000 + 0 * 16 * K
    assert pf.sriov.vf_bars[0].size_per_vf == 16 * K
    assert pf.sriov.vf_bars[3].size_per_vf == 16 * K
    assert vf.bars[0].virtual and not vf.bars[0].prefetchable


def test_x550_vf_alone_is_kept_and_says_what_is_missing():
    topo = load_path(CAPTURES / "lspci-intel-x550-vf-1.txt")
    dev = topo.device("0000:05:10.0")
    assert dev.physfn is None
    assert dev.iommu_group == 27          # "Flags: ..., IOMMU group 27"
    assert any("PF" in m and "not in the capture" in m for m in topo.missing)
    assert any("index not printed" in m for m in topo.missing)


def test_adl_igpu_sriov_from_a_quoted_wrapped_mail():
    topo = load_path(CAPTURES / "lspci-intel-adl-igpu-sriov-quoted.txt")
    assert sorted(topo.devices) == ["0000:00:00.0", "0000:00:02.0", "0000:00:04.0", "0000:00:06.0"]
    gpu = topo.device("0000:00:02.0")
    assert gpu.pcie_type == "rc_endpoint"          # "Express (v2) Root Complex Integrated Endpoint, MSI\n> 00"
    assert gpu.class_code >> 8 == 0x0300
    # "> Region 2: Memory at 4000000000 (64-bit, prefetchable) [size=256M]"
    assert (gpu.bars[2].base, gpu.bars[2].size, gpu.bars[2].prefetchable) == (0x4000000000, 256 * M, True)
    s = gpu.sriov
    # "Initial VFs: 7, Total VFs: 7, Number of VFs: 0, Function Dependency\n> Link: 00"
    assert (s.initial_vfs, s.total_vfs, s.num_vfs, s.vf_offset, s.vf_stride, s.vf_device) == \
        (7, 7, 0, 1, 1, 0x46a6)
    rec = next(r for r in capture_topology_to_json(topo) if r["bdf"] == "0000:00:02.0")
    assert [(b["index"], b["base"], b["size_per_vf"], b["prefetchable"]) for b in rec["sriov"]["vf_bars"]] == \
        [(0, 0x4010000000, None, False), (2, 0x4020000000, None, True)]
    rp = topo.device("0000:00:06.0")
    assert rp.pcie_type == "root_port" and (rp.secondary, rp.subordinate) == (1, 1)
    from dmabuf_lab.pci.bridge import PCI_ACS_CR, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_TB, PCI_ACS_UF
    # ACSCap: SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ (wrapped) EgressCtrl- DirectTrans-
    assert rp.acs_cap == PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF
    # ACSCtl: SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+
    assert rp.acs_ctrl == PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF
    assert [d.iommu_group for d in (topo.device("0000:00:00.0"), gpu, rp)] == [0, 1, 3]


def test_adl_vfs_would_sit_at_00_02_1_to_00_02_7():
    from dmabuf_lab.pci.iov import pci_iov_virtfn_bdf
    gpu = load_path(CAPTURES / "lspci-intel-adl-igpu-sriov-quoted.txt").device("0000:00:02.0")
    # devfn of 00:02.0 is 0x10; + 1 + n
    assert [pci_iov_virtfn_bdf(gpu, n) for n in range(7)] == [f"0000:00:02.{f}" for f in range(1, 8)]


def test_resource_file_alone_is_refused_with_a_pointer():
    from dmabuf_lab.hw.loaders import CaptureParseError
    with pytest.raises(CaptureParseError) as e:
        load_path(CAPTURES / "resource-intel-x550-pf-1.txt")
    assert e.value.line == 1 and "snapshot" in str(e.value)


def test_asahi_bufinfo():
    info = load_bufinfo(CAPTURES / "bufinfo-asahi-m1-drm.txt")
    # five object lines (lines 5, 12, 19, 25, 30); the paste stops after the fifth
    assert [b.line for b in info.buffers] == [5, 12, 19, 25, 30]
    assert [b.size for b in info.buffers] == [1064960, 1064960, 23068672, 23068672, 23805952]
    assert [b.ino for b in info.buffers] == [125955, 125953, 125950, 125948, 125947]
    assert [b.count for b in info.buffers] == [9, 9, 3, 3, 10]
    assert all(b.exp_name == "drm" and b.name is None and b.mode == 0x80005 for b in info.buffers)
    assert [len(b.fences) for b in info.buffers] == [2, 2, 2, 1, 0]
    f = info.buffers[0].fences[0]
    assert (f.usage, f.driver, f.timeline, f.seq, f.signalled) == ("write", "drm_sched", "asahi_sched",
                                                                   5809165, True)
    assert [b.attached for b in info.buffers[:4]] == [["soc:display-subsystem"]] * 2 + [[]] * 2
    assert set(info.importers()) == {"soc:display-subsystem"}
    assert list(info.exporters()) == ["drm"]
    assert info.total_objects is None
    assert any("Total N objects" in m for m in info.missing)
    assert any(m.startswith("line 30:") for m in info.missing)


def test_read_lspci_keeps_unknown_sizes_as_none():
    m = read_lspci(CAPTURES / "lspci-intel-x550-1.txt")
    pf = m.devices["0000:05:00.0"]
    assert {i: vb.size_per_vf for i, vb in pf.sriov.vf_bars.items()} == {0: None, 3: None}
    # line 10: Expansion ROM at 80900000 [disabled] [size=512K]
    assert (pf.rom.base, pf.rom.size, pf.rom.disabled) == (0x80900000, 512 * K, True)


def test_flex_gpu_vf_bars_from_the_kernel_log():
    from dmabuf_lab.pci.iov import pci_iov_vf_bar_start, pci_iov_virtfn_bdf
    topo = load_lspci([CAPTURES / "lspci-intel-flex-56c0-sriov-quoted.txt",
                       CAPTURES / "dmesg-intel-flex-56c0-sriov-quoted.txt"])
    pf = topo.device("0000:53:00.0")
    assert pf.parent.bdf == "0000:52:01.0"                 # "Bus: primary=52, secondary=53, subordinate=54"
    assert (pf.vendor, pf.device, pf.class_code) == (0x8086, 0x56c0, 0x038000)   # dmesg line 2
    s = pf.sriov
    assert (s.total_vfs, s.vf_offset, s.vf_stride, s.vf_device) == (31, 1, 1, 0x56c0)
    # dmesg: reg 0x344: [mem 0x205e00000000-0x205e00ffffff] -- one VF's BAR0, sized by the kernel
    assert s.vf_bars[0].size_per_vf == 0x205e00ffffff - 0x205e00000000 + 1 == 16 * M
    # dmesg: reg 0x34c: [mem 0x202000000000-0x2021ffffffff] -- one VF's BAR2
    assert s.vf_bars[2].size_per_vf == 0x2021ffffffff - 0x202000000000 + 1 == 8 << 30
    # lspci IOV Region 0/2 bases; VF n = base + n * size; the last VF ends where the log's window ends
    assert pci_iov_vf_bar_start(pf, 0, 0) == 0x205e00000000
    assert pci_iov_vf_bar_start(pf, 30, 0) + 16 * M - 1 == 0x205e1effffff
    assert pci_iov_vf_bar_start(pf, 30, 2) + (8 << 30) - 1 == 0x205dffffffff
    assert pci_iov_virtfn_bdf(pf, 0) == "0000:53:00.1"
    assert pci_iov_virtfn_bdf(pf, 30) == "0000:53:03.7"     # devfn 0 + 1 + 30 = 31 = slot 3 fn 7
    assert any("appears twice" in m for m in topo.missing)   # the lspci.after blocks
    assert any("port type unknown" in m for m in topo.missing)


def test_flex_gpu_without_the_log_says_sizes_are_missing():
    topo = load_path(CAPTURES / "lspci-intel-flex-56c0-sriov-quoted.txt")
    rec = next(r for r in capture_topology_to_json(topo) if r["bdf"] == "0000:53:00.0")
    assert [(b["index"], b["base"], b["size_per_vf"]) for b in rec["sriov"]["vf_bars"]] == \
        [(0, 0x205e00000000, None), (2, 0x202000000000, None)]
    assert rec["device"] == "56c0"                          # "Intel Corporation Device 56c0"
