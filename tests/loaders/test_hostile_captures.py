"""Hostile captures end in one CaptureParseError naming file and line, quickly.

Each case is an input that once hung a loader, crashed it with another
exception, or was accepted although no PCI machine can show it.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

from dmabuf_lab.hw.loaders import CaptureParseError, load_bufinfo, load_files, load_lspci, load_sysfs
from dmabuf_lab.hw.loaders import lspci as lspci_mod
from dmabuf_lab.hw.loaders import pasted_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sysfs_snapshot import make_snapshot  # noqa: E402

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
CX7 = (CAPTURES / "lspci-connectx7-2.txt").read_text()
BUFINFO_HEAD = ("Dma-buf Objects:\nsize\tflags\tmode\tcount\texp_name\tino\tname\n")


@contextlib.contextmanager
def within(seconds: int):
    """Fail the test (instead of hanging the suite) when the body runs longer than ``seconds``."""
    def expire(*_):
        raise TimeoutError(f"took longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def capture(tmp_path: Path, text: str | bytes, name: str = "lspci.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def refused(loader, path: Path, line: int | None = None) -> CaptureParseError:
    with within(10), pytest.raises(CaptureParseError) as err:
        loader(path)
    assert err.value.file is not None and str(path) in str(err.value.file)
    if line is not None:
        assert err.value.line == line, str(err.value)
    assert "\n" not in str(err.value)
    return err.value


def sriov_field(field: str, value: str) -> str:
    """The ConnectX-7 capture with one SR-IOV field rewritten."""
    head, sep, tail = CX7.partition(field)
    assert sep, field
    old = tail.split(",", 1)[0].split()[0]
    return head + sep + " " + value + tail[tail.index(old) + len(old):]


# --- hangs -------------------------------------------------------------------------

def test_header_with_a_long_run_of_spaces_is_not_backtracked():
    line = "03:00.0 x" + " " * 40_000 + "x"
    with within(5):
        assert lspci_mod.header_problem(line) is not None


def test_a_line_of_40k_spaces_is_one_error(tmp_path):
    p = capture(tmp_path, "03:00.0" + " " * 40_000 + "x\n")
    assert "characters" in str(refused(load_lspci, p, line=1))


def test_bar_attributes_of_200k_parentheses_are_read_in_linear_time(tmp_path, monkeypatch):
    monkeypatch.setattr(pasted_text, "MAX_LINE_CHARS", 1 << 20, raising=False)
    p = capture(tmp_path, "03:00.0 Ethernet controller: X\n\tRegion 0: Memory at 1000 " + "(" * 200_000 + "\n")
    with within(5):
        load_lspci(p)


# --- numbers beyond their register ------------------------------------------------

def test_num_vfs_above_total_vfs_is_refused(tmp_path):
    p = capture(tmp_path, sriov_field("Number of VFs:", "17"))     # Total VFs: 16
    assert "TotalVFs" in str(refused(load_lspci, p))


def test_num_vfs_beyond_its_register_is_refused_before_any_vf_is_made(tmp_path):
    p = capture(tmp_path, sriov_field("Number of VFs:", "100000000"))
    with within(3), pytest.raises(CaptureParseError, match="16-bit") as err:
        load_lspci(p)
    assert err.value.file == str(p)


def test_sysfs_num_vfs_beyond_its_register_is_refused_before_any_vf_is_made(tmp_path):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:00.0" / "sriov_totalvfs").write_text("8\n")
    (snap / "0000:05:00.0" / "sriov_numvfs").write_text("100000000\n")
    with within(3), pytest.raises(CaptureParseError, match="16-bit"):
        load_sysfs(snap)


def test_vf_offset_that_wraps_routing_ids_is_refused(tmp_path):
    text = sriov_field("Number of VFs:", "4")
    p = capture(tmp_path, text.replace("VF offset: 2,", "VF offset: 99999999999,"))
    assert "vf_offset" in str(refused(load_lspci, p))


def test_vfs_past_the_bus_range_are_refused(tmp_path):
    # stride 256 moves each VF one bus on; the bridge above the PF forwards one bus only
    bridge = ("80:01.0 PCI bridge [0604]: X\n\tBus: primary=80, secondary=81, subordinate=81, sec-latency=0\n"
              "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n\n")
    text = sriov_field("Number of VFs:", "4").replace("stride: 1,", "stride: 256,")
    p = capture(tmp_path, bridge + text)
    assert "bus range" in str(refused(load_lspci, p))


@pytest.mark.parametrize("bus", ["secondary=1ff, subordinate=ffffffffffffffffff",
                                 "secondary=01, subordinate=100"])
def test_bus_numbers_beyond_ff_are_refused(tmp_path, bus):
    p = capture(tmp_path, "00:01.0 PCI bridge [0604]: X\n"
                          f"\tBus: primary=00, {bus}, sec-latency=0\n")
    refused(load_lspci, p, line=2)


@pytest.mark.parametrize("bar", ["Memory at 0 (64-bit, prefetchable) [size=1024E]",
                                 "Memory at ffffffffffffff000 (64-bit, prefetchable) [size=4K]",
                                 "Memory at fffffffffffff000 (64-bit, prefetchable) [size=8K]"])
def test_bars_beyond_64_bits_are_refused(tmp_path, bar):
    p = capture(tmp_path, f"03:00.0 Ethernet controller: X\n\tRegion 0: {bar}\n")
    refused(load_lspci, p, line=2)


def test_lspci_number_longer_than_python_reads_is_one_error(tmp_path):
    p = capture(tmp_path, sriov_field("Total VFs:", "9" * 4400))
    refused(load_lspci, p)


def test_dmesg_number_longer_than_python_reads_is_one_error(tmp_path):
    lspci = capture(tmp_path, CX7)
    dmesg = capture(tmp_path, "[    1.0] pci 0000:21:00.0: VF(n) BAR0 space: [mem 0x1000-0x1fff 64bit pref] "
                              f"(contains BAR0 for {'9' * 4400} VFs)\n", "dmesg.txt")
    with within(10), pytest.raises(CaptureParseError) as err:
        load_files([lspci], [dmesg])
    assert err.value.file == str(dmesg) and err.value.line == 1


def test_bufinfo_number_longer_than_python_reads_is_one_error(tmp_path):
    p = capture(tmp_path, BUFINFO_HEAD + "9" * 4400 + "\t00000002\t00080007\t00000003\tdrm\t00000106\t<none>\n",
                "bufinfo.txt")
    refused(load_bufinfo, p, line=3)


# --- text that is not what lspci prints -------------------------------------------

def test_non_utf8_bytes_name_their_line(tmp_path):
    p = capture(tmp_path, b"03:00.0 Ethernet controller: X\n\tIOMMU group: 3\n\tKernel driver in use: \xff\xfe\n")
    assert "UTF-8" in str(refused(load_lspci, p, line=3))


def test_unicode_digits_are_not_read_as_numbers(tmp_path):
    p = capture(tmp_path, "03:00.0 Ethernet controller: X\n\tIOMMU group: \u0663\n"
                          "\tRegion 0: Memory at 1000 (64-bit, prefetchable) [size=\u0664K]\n")
    topo = load_lspci(p)
    dev = topo.capture.devices["0000:03:00.0"]
    assert dev.iommu_group is None and dev.bars[0].size is None


# --- sysfs ------------------------------------------------------------------------

def test_sysfs_num_vfs_above_total_vfs_is_refused(tmp_path):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:00.0" / "sriov_numvfs").write_text("65\n")          # sriov_totalvfs is 64
    with within(10), pytest.raises(CaptureParseError, match="TotalVFs"):
        load_sysfs(snap)


@pytest.mark.parametrize("group", ["\u00b2", "\u0663", "9" * 5000])
def test_sysfs_iommu_group_that_is_not_an_ascii_number_is_refused(tmp_path, group):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:00.0" / "iommu_group").write_text(f"../../../../kernel/iommu_groups/{group}\n")
    with within(10), pytest.raises(CaptureParseError) as err:
        load_sysfs(snap)
    assert err.value.file == str(snap / "0000:05:00.0" / "iommu_group")


@pytest.mark.parametrize("name, value", [("sriov_totalvfs", "\u0666\u0664"), ("vendor", "0x8_086"),
                                         ("secondary_bus_number", "511")])
def test_sysfs_numbers_are_ascii_and_in_range(tmp_path, name, value):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:00.0" / name).write_text(value + "\n")
    with within(10), pytest.raises(CaptureParseError) as err:
        load_sysfs(snap)
    assert err.value.file == str(snap / "0000:05:00.0" / name)


def test_sysfs_device_folder_linked_out_of_the_snapshot_is_refused(tmp_path):
    snap = make_snapshot(tmp_path / "snap")
    os.symlink("/etc", snap / "0000:09:00.0")
    with within(10), pytest.raises(CaptureParseError, match="outside the snapshot") as err:
        load_sysfs(snap)
    assert err.value.file == str(snap / "0000:09:00.0")


def test_sysfs_non_utf8_attribute_is_one_error(tmp_path):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:00.0" / "devpath").write_bytes(b"/sys/devices/\xff\n")
    with within(10), pytest.raises(CaptureParseError, match="UTF-8"):
        load_sysfs(snap)


# --- the commands: a FIFO or a device is refused before it is opened ---------------

@pytest.mark.parametrize("argv", [["ask", "{fifo}"], ["ask", "/dev/zero"],
                                  ["ask", "--topology", "{fifo}", "--exporter", "vfio-pci", "--importer", "rdma"],
                                  ["topology", "--from-lspci", "{fifo}"], ["topology", "/dev/zero"]])
def test_commands_refuse_fifos_and_devices_in_one_line(tmp_path, capsys, argv):
    from dmabuf_lab import cli

    fifo = tmp_path / "capture.txt"
    os.mkfifo(fifo)
    with within(5):
        rc = cli.main([a.format(fifo=fifo) for a in argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and "not a regular file" in err
