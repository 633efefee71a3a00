"""Every device header in every shipped capture becomes exactly one device.

The expected devices are found here without the loader: a plain pattern over
the lines that start with a PCI address (after any mail quoting), taking the
address and the class text before the first colon.  The loader must return
exactly those addresses (each once, a repeated block being a later snapshot of
the same function) with the same class text.  Where the text shows SR-IOV
VF offset/stride and VF headers, the VF arithmetic is done here too.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmabuf_lab.hw.loaders import load_files, load_lspci, load_path, read_lspci

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
LSPCI = sorted(CAPTURES.glob("lspci-*.txt"))

# one machine, several files: lspci text plus the kernel log of the same boot
WITH_DMESG = {
    "lspci-supermicro-genoa-h100l-x2.txt": "dmesg-supermicro-genoa-h100l-x2.txt",
    "lspci-nvidia-a100-x8-vm-elided.txt": "dmesg-nvidia-a100-x8-vm.txt",
    "lspci-intel-flex-56c0-sriov-quoted.txt": "dmesg-intel-flex-56c0-sriov-quoted.txt",
}

_QUOTE = re.compile(r"^(?:\s*>)+\s?")
_LINE = re.compile(r"^\s*(?:([0-9a-f]{4,8}):)?(?:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/)*"
                   r"([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])\s+([^:]+):", re.I)


def headers_in(text: str) -> dict[str, str]:
    """address -> class text, for every line that starts with a bus address."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = _QUOTE.sub("", line)
        m = _LINE.match(line)
        if not m:
            continue
        dom, bus, slot, fn, cls = m.groups()
        bdf = f"{int(dom or '0', 16):04x}:{bus.lower()}:{slot.lower()}.{fn}"
        cls = re.sub(r"\s*\[[0-9a-f]{4}\]$", "", cls.strip(), flags=re.I)
        found.setdefault(bdf, cls)
    return found


def test_the_corpus_is_large_and_every_file_has_a_source():
    assert len(LSPCI) >= 25
    readme = (CAPTURES.parent / "README.md").read_text()
    for f in CAPTURES.iterdir():
        assert f"`{f.name}`" in readme


@pytest.mark.parametrize("path", LSPCI, ids=lambda p: p.name)
def test_every_header_is_one_device_with_its_class(path):
    expected = headers_in(path.read_text(errors="replace"))
    assert expected, "the pattern found no header: the capture or the pattern is wrong"
    machine = read_lspci(path)
    assert {b: d.class_name for b, d in machine.devices.items()} == expected
    topo = load_path(path)
    assert set(expected) <= set(topo.devices)
    extra = set(topo.devices) - set(expected)
    # functions the capture does not print may only be VFs made from a PF's NumVFs
    assert all(topo.devices[b].is_virtfn for b in extra)


def _blocks(text: str) -> dict[str, str]:
    """address -> its block of text (first occurrence), split at header lines."""
    out: dict[str, str] = {}
    cur = None
    for line in text.splitlines():
        bare = _QUOTE.sub("", line)
        m = _LINE.match(bare)
        if m:
            dom, bus, slot, fn, _ = m.groups()
            cur = f"{int(dom or '0', 16):04x}:{bus.lower()}:{slot.lower()}.{fn}"
            if cur in out:
                cur = None
            else:
                out[cur] = ""
            continue
        if cur is not None:
            out[cur] += bare + "\n"
    return out


def _sriov_pfs(text: str):
    for bdf, block in _blocks(text).items():
        n = re.search(r"Number of VFs:\s*(\d+)", block)
        o = re.search(r"VF offset:\s*(\d+),\s*stride:\s*(\d+)", block)
        if n and o:
            yield bdf, int(n.group(1)), int(o.group(1)), int(o.group(2))


def _rid(bdf: str) -> int:
    bus, slot, fn = int(bdf[5:7], 16), int(bdf[8:10], 16), int(bdf[11])
    return bus << 8 | slot << 3 | fn


def _bdf(dom: str, rid: int) -> str:
    return f"{dom}:{rid >> 8:02x}:{(rid >> 3) & 0x1f:02x}.{rid & 7}"


SRIOV = [p for p in LSPCI if "Number of VFs" in p.read_text(errors="replace")]


@pytest.mark.parametrize("path", SRIOV, ids=lambda p: p.name)
def test_sriov_arithmetic_as_printed(path):
    text = path.read_text(errors="replace")
    headers = headers_in(text)
    topo = load_path(path)
    for pf_bdf, numvfs, offset, stride in _sriov_pfs(text):
        pf = topo.devices[pf_bdf]
        if pf.is_virtfn:          # a VF whose config space shows an SR-IOV capability
            continue
        want = [_bdf(pf_bdf[:4], _rid(pf_bdf) + offset + stride * i) for i in range(numvfs)]
        got = [vf.bdf for vf in topo.vfs(pf)]
        assert got[:numvfs] == want
        for i, b in enumerate(want):
            if b in headers:      # a VF block printed in the capture
                assert topo.devices[b].physfn is pf and topo.devices[b].vf_index == i


def test_a_vf_that_shows_an_sriov_capability_is_still_the_vf():
    topo = load_path(CAPTURES / "lspci-samsung-nvme-vf-shows-sriov-qp.txt")
    pf, vf = topo.device("0000:01:00.0"), topo.device("0000:01:00.2")
    # "VF offset: 2, stride: 1", "Number of VFs: 1": VF0 is 01:00.0 + 2
    assert vf.physfn is pf and vf.vf_index == 0 and not vf.is_physfn
    assert any("shows an SR-IOV capability although it is VF0" in m for m in topo.missing)


@pytest.mark.parametrize("lspci,dmesg", sorted(WITH_DMESG.items()))
def test_lspci_and_dmesg_of_one_machine(lspci, dmesg):
    log = (CAPTURES / dmesg).read_text(errors="replace")
    ids = {}
    for m in re.finditer(r"pci (?:([0-9a-f]{4}):)?([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): \[([0-9a-f]{4}):([0-9a-f]{4})\] "
                         r"type", log):
        ids.setdefault(f"{m.group(1) or '0000'}:{m.group(2)}", (int(m.group(3), 16), int(m.group(4), 16)))
    topo = load_files(CAPTURES / lspci, CAPTURES / dmesg)
    shown = set(headers_in((CAPTURES / lspci).read_text(errors="replace")))
    checked = 0
    for bdf, (ven, dev) in ids.items():
        if bdf in shown:
            d = topo.device(bdf)
            assert (d.vendor, d.device) == (ven, dev) and "device" not in d.unknown
            checked += 1
    assert checked >= 1


def test_the_newer_vf_bar_log_line_is_read():
    topo = load_files(CAPTURES / "lspci-supermicro-genoa-h100l-x2.txt",
                      CAPTURES / "dmesg-supermicro-genoa-h100l-x2.txt")
    # "VF BAR 0 [mem 0xc4000000-0xc47fffff]: contains BAR 0 for 32 VFs" for e1:00.0: the
    # plain listing shows no SR-IOV capability, so the windows are reported, not placed
    note = [m for m in topo.missing if m.startswith("0000:e1:00.0:") and "32 VFs" in m]
    assert note and "[0, 1, 3]" in note[0]


def test_two_data_centre_gpus_printed_as_3d_controller():
    topo = load_path(CAPTURES / "lspci-supermicro-genoa-h100l-x2.txt")
    gpus = sorted(d.bdf for d in topo.capture.devices.values() if d.class_name == "3D controller")
    assert gpus == ["0000:c1:00.0", "0000:e1:00.0"]
    assert all(topo.device(b).class_code == 0x030200 for b in gpus)


@pytest.mark.parametrize("header", [
    "0000:3b:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 PCIe 40GB] [10de:20f1] (rev a1)",
    "3b:00.0 3D controller: NVIDIA Corporation GA100 [A100 PCIe 40GB] (rev a1)",
])
def test_both_header_forms_of_a_two_gpu_server(header):
    other = header.replace("3b:00.0", "5e:00.0")
    body = "\tRegion 0: Memory at 9c000000 (32-bit, non-prefetchable) [size=16M]\n" \
           "\tKernel driver in use: nvidia\n"
    topo = load_lspci(f"{header}\n{body}\n{other}\n{body.replace('9c', 'ae')}")
    for bdf in ("0000:3b:00.0", "0000:5e:00.0"):
        gpu = topo.device(bdf)
        assert gpu.class_code == 0x030200 and gpu.driver == "nvidia" and 0 in gpu.bars
    ids = {b: (d.vendor, d.device) for b, d in topo.devices.items()}
    if "[10de:20f1]" in header:
        assert ids["0000:3b:00.0"] == (0x10de, 0x20f1)
    else:
        assert "device" in topo.device("0000:3b:00.0").unknown


@pytest.mark.parametrize("line", [
    "05:00.0 Ethernet controller Intel Corporation X550",      # the class colon is missing
    "05:20.0 Ethernet controller: Intel Corporation X550",     # device number above 0x1f
    "00:01.1/00.0 VGA compatible controller: NVIDIA",          # lspci -P: no bus number
])
def test_a_line_shaped_like_a_header_but_unreadable_is_an_error(line):
    from dmabuf_lab.hw.loaders import CaptureParseError
    text = "00:00.0 Host bridge: Intel Corporation Device 4621\n\tLatency: 0\n" + line + "\n"
    with pytest.raises(CaptureParseError) as e:
        read_lspci(text, file="m.txt")
    assert e.value.line == 3 and "m.txt" in str(e.value)


def test_lspci_pp_paths_name_the_function_and_its_bridge():
    text = ("00:01.1/01:00.0/02:00.0/03:00.0 Processing accelerators: Advanced Micro Devices, Inc. "
            "[AMD/ATI] Aqua Vanjaram [Instinct MI300X]\n")
    dev = read_lspci(text).devices["0000:03:00.0"]
    assert dev.class_name == "Processing accelerators" and dev.parent == "0000:02:00.0"
