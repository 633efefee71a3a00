"""Captures as they arrive in bug reports still load; garbage is refused with its line number.

Each test mangles a shipped capture the way mail and pasting do and checks
that the numbers read back are the ones the clean capture prints (written
here from the capture text, not from the parser).
"""
import re
import textwrap
from pathlib import Path

import pytest

from dmabuf_lab.hw.loaders import CaptureParseError, load_lspci, read_lspci

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
X550 = (CAPTURES / "lspci-intel-x550-1.txt").read_text()
CX7 = (CAPTURES / "lspci-connectx7-1.txt").read_text()
K, M = 1024, 1024 * 1024


def x550_facts(text):
    """The X550 PF numbers the capture prints (lines 8-10, 63-68)."""
    m = read_lspci(text)
    pf = m.devices["0000:05:00.0"]
    return (pf.bars[0].base, pf.bars[0].size, pf.bars[4].base, pf.bars[4].size,
            pf.sriov.total_vfs, pf.sriov.vf_offset, pf.sriov.vf_stride, pf.sriov.vf_device,
            sorted((i, vb.base) for i, vb in pf.sriov.vf_bars.items()), pf.iommu_group)


EXPECTED_X550 = (0x6004800000, 4 * M, 0x6004c04000, 16 * K, 64, 128, 2, 0x1565,
                 [(0, 0x80a00000), (3, 0x80b00000)], 23)


def mail_wrap(text, width=72, keep_indent=True):
    """Soft-wrap like a mail client: long lines break at a space, the rest starts a new line."""
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line if keep_indent else line.strip())
            continue
        pieces = textwrap.wrap(line.strip(), width=width, break_long_words=False, break_on_hyphens=False)
        indent = line[: len(line) - len(line.lstrip())] if keep_indent else ""
        out.append(indent + pieces[0])
        out.extend(pieces[1:])
    return "\n".join(out) + "\n"


def test_clean_capture_reads_the_printed_numbers():
    assert x550_facts(X550) == EXPECTED_X550


def test_windows_line_endings():
    assert x550_facts(X550.replace("\n", "\r\n")) == EXPECTED_X550


def test_old_mac_line_endings_and_bytes():
    assert x550_facts(X550.replace("\n", "\r").encode()) == EXPECTED_X550


@pytest.mark.parametrize("prefix", ["> ", ">", "> > ", ">> "])
def test_mail_quoting(prefix):
    quoted = "".join(prefix + line + "\n" for line in X550.splitlines())
    assert x550_facts("On Monday someone wrote:\n" + quoted + "\nThanks!\n") == EXPECTED_X550


@pytest.mark.parametrize("width", [40, 60, 72])
@pytest.mark.parametrize("keep_indent", [True, False])
def test_soft_wrapped(width, keep_indent):
    wrapped = mail_wrap(X550, width, keep_indent)
    assert wrapped.count("\n") > X550.count("\n")       # the wrapping really happened
    assert x550_facts(wrapped) == EXPECTED_X550


def test_wrapped_and_quoted_and_crlf_together():
    text = "".join("> " + ln + "\r\n" for ln in mail_wrap(X550, 50, False).splitlines())
    assert x550_facts(text) == EXPECTED_X550


def test_quoted_printable():
    qp = X550.replace("=", "=3D")
    assert "[size=3D4M]" in qp
    assert x550_facts(qp) == EXPECTED_X550


@pytest.mark.parametrize("spelling", ["{n}K", "{b}", "{n}KiB", "{n} KB"])
def test_size_spellings_of_other_lspci_versions(spelling):
    def respell(m):
        value = int(m.group(1)) * {"K": K, "M": M}[m.group(2)]
        return "[size=" + spelling.format(n=value // K, b=value) + "]"
    text = re.sub(r"\[size=(\d+)([KM])\]", respell, X550)
    assert x550_facts(text) == EXPECTED_X550


def test_access_denied_capabilities():
    # lspci without root prints one "Capabilities: <access denied>" and no capability bodies
    head = re.split(r"\n[ \t]+Capabilities:", X550)[0]
    assert "SR-IOV" not in head
    text = head + "\n\tCapabilities: <access denied>\n\tKernel driver in use: ixgbe\n"
    topo = load_lspci(text)
    pf = topo.device("0000:05:00.0")
    assert pf.sriov is None and pf.bars[0].base == 0x6004800000
    assert any("<access denied>" in m for m in topo.missing)


def test_unknown_capabilities_are_skipped():
    extra = ("\tCapabilities: [500 v1] Extended Capability ID 0x99\n\t\tFrobnicate: Zap+ Zip-\n"
             "\tCapabilities: [520 v3] Something Future <?>\n")
    text = X550.replace("        Capabilities: [1a0 v1]", extra + "        Capabilities: [1a0 v1]")
    assert "Frobnicate" in text
    assert x550_facts(text) == EXPECTED_X550


def test_truncated_inside_the_sriov_block():
    lines = X550.splitlines()
    cut = next(i for i, ln in enumerate(lines) if "VF offset" in ln)
    m = read_lspci("\n".join(lines[:cut]) + "\n")
    s = m.devices["0000:05:00.0"].sriov
    assert (s.total_vfs, s.vf_offset, s.vf_bars) == (64, None, {})
    assert any("vf_offset" in x for x in m.all_missing())


def test_truncated_mid_line():
    text = X550[: X550.index("Region 4: Memory at") + len("Region 4: Memory at 6004c0")]
    m = read_lspci(text)
    pf = m.devices["0000:05:00.0"]
    assert pf.bars[0].size == 4 * M and pf.bars[4].size is None


def test_plain_lspci_listing_loads_with_a_note():
    text = "00:00.0 Host bridge: Intel Corporation Device 4621 (rev 02)\n" \
           "00:02.0 VGA compatible controller: Intel Corporation Alder Lake-P Integrated Graphics Controller (rev 0c)\n"
    topo = load_lspci(text)
    assert sorted(topo.devices) == ["0000:00:00.0", "0000:00:02.0"]
    assert any("plain lspci listing" in m for m in topo.missing)


def test_nn_ids_and_domain():
    text = ("0000:03:00.0 VGA compatible controller [0300]: Intel Corporation Device [8086:e211]"
            " (prog-if 00 [VGA controller])\n"
            "\tRegion 0: Memory at 8c000000 (64-bit, non-prefetchable) [size=16M]\n")
    topo = load_lspci(text)
    dev = topo.device("0000:03:00.0")
    assert (dev.vendor, dev.device, dev.class_code) == (0x8086, 0xe211, 0x030000)


def test_bridges_make_the_tree():
    text = ("00:01.0 PCI bridge: Intel Corporation Device 347a\n"
            "\tBus: primary=00, secondary=01, subordinate=04, sec-latency=0\n"
            "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n\n"
            "01:00.0 PCI bridge: Intel Corporation Device e2ff\n"
            "\tBus: primary=01, secondary=02, subordinate=04, sec-latency=0\n"
            "\tCapabilities: [40] Express (v2) Upstream Port, MSI 00\n\n"
            "02:01.0 PCI bridge: Intel Corporation Device e2f0\n"
            "\tBus: primary=02, secondary=03, subordinate=03, sec-latency=0\n"
            "\tCapabilities: [40] Express (v2) Downstream Port (Slot-), MSI 00\n\n"
            "03:00.0 VGA compatible controller: Intel Corporation Device e211\n"
            "\tRegion 2: Memory at 3800000000 (64-bit, prefetchable) [size=32G]\n"
            "\tCapabilities: [40] Express (v2) Endpoint, MSI 00\n")
    topo = load_lspci(text)
    gpu = topo.device("03:00.0")
    assert gpu.parent.bdf == "0000:02:01.0" and gpu.parent.pcie_type == "downstream_port"
    assert gpu.parent.parent.bdf == "0000:01:00.0" and gpu.parent.parent.pcie_type == "upstream_port"
    assert gpu.parent.parent.parent.pcie_type == "root_port"
    assert gpu.bars[2].size == 32 << 30


@pytest.mark.parametrize("text, line", [
    ("hello world\nthis is not lspci\n", 1),
    ("\n\n  \nsize flags mode\n0x1 0x2 0x3\n", 4),
    ("Region 0: Memory at 6004800000 (64-bit, prefetchable) [size=4M]\n", 1),
    ("", 1),
    ("\x00\xff\xfe binary junk", 1),
])
def test_garbage_is_refused_with_the_line(text, line):
    with pytest.raises(CaptureParseError) as e:
        load_lspci(text)
    assert e.value.line == line
    assert "expected an lspci device header" in str(e.value)


def test_garbage_file_error_names_the_file(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("\nmy machine has a GPU\n")
    with pytest.raises(CaptureParseError) as e:
        load_lspci(p)
    assert str(e.value).startswith(f"{p}:2:")


def test_unassigned_ignored_disabled_and_io_bars():
    text = ("01:00.0 VGA compatible controller: Advanced Micro Devices, Inc. [AMD/ATI] Device 6929\n"
            "\tRegion 0: Memory at <unassigned> (64-bit, prefetchable) [disabled] [size=256M]\n"
            "\tRegion 2: Memory at <ignored> (64-bit, prefetchable)\n"
            "\tRegion 4: I/O ports at f000 [disabled] [size=256]\n"
            "\tRegion 5: Memory at fbc00000 (32-bit, non-prefetchable) [disabled] [size=256K]\n"
            "\tExpansion ROM at <unassigned> [disabled]\n")
    m = read_lspci(text)
    d = m.devices["0000:01:00.0"]
    assert d.vendor == 0x1002 and d.device == 0x6929
    assert (d.bars[0].base, d.bars[0].size, d.bars[0].unassigned, d.bars[0].disabled) == (None, 256 * M, True, True)
    assert (d.bars[2].base, d.bars[2].size) == (None, None)
    assert (d.bars[4].kind, d.bars[4].base, d.bars[4].size) == ("io", 0xf000, 256)
    assert (d.bars[5].base, d.bars[5].is64, d.bars[5].prefetchable) == (0xfbc00000, False, False)
    assert d.rom.unassigned and d.rom.base is None
    topo = load_lspci(text)
    assert sorted(topo.device("01:00.0").bars) == [5]       # only BARs with base and size reach hw


def test_iov_region_with_a_printed_size_is_per_vf():
    text = ("03:00.0 VGA compatible controller [0300]: Intel Corporation Device [8086:e211]\n"
            "\tCapabilities: [320 v1] Single Root I/O Virtualization (SR-IOV)\n"
            "\t\tInitial VFs: 8, Total VFs: 8, Number of VFs: 2, Function Dependency Link: 00\n"
            "\t\tVF offset: 1, stride: 1, Device ID: e211\n"
            "\t\tRegion 2: Memory at 0000004000000000 (64-bit, prefetchable) [size=4G]\n")
    topo = load_lspci(text)
    pf = topo.device("03:00.0")
    assert pf.sriov.vf_bars[2].size_per_vf == 4 << 30
    vf1 = topo.device("03:00.2")                             # made from the layout: NumVFs 2
    assert vf1.bars[2].base == 0x4000000000 + 1 * (4 << 30)


def test_kernel_log_window_that_disagrees_with_lspci_is_ignored():
    text = ("53:00.0 Display controller: Intel Corporation Device 56c0 (rev 08)\n"
            "\tCapabilities: [320 v1] Single Root I/O Virtualization (SR-IOV)\n"
            "\t\tInitial VFs: 31, Total VFs: 31, Number of VFs: 0, Function Dependency Link: 00\n"
            "\t\tVF offset: 1, stride: 1, Device ID: 56c0\n"
            "\t\tRegion 0: Memory at 0000205e00000000 (64-bit, prefetchable)\n"
            "[  150.161837] pci 0000:53:00.0: VF(n) BAR0 space: [mem 0x100000000-0x11effffff 64bit pref]"
            " (contains BAR0 for 31 VFs)\n")
    m = read_lspci(text)
    assert m.devices["0000:53:00.0"].sriov.vf_bars[0].size_per_vf is None
    assert any("log ignored" in x for x in m.all_missing())


def test_double_spaced_paste():
    # some mail clients turn every line break into a paragraph: "> line\n>\n> line\n>\n"
    text = "".join(f"> {ln}\n>\n" for ln in X550.splitlines())
    assert x550_facts(text) == EXPECTED_X550
