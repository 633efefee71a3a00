"""``lspci -v`` / ``-vv`` / ``-vvv`` (with or without ``-nn``, ``-D``) text -> CapturedMachine.

The parser is driven by the lines lspci prints (pciutils lspci.c show_bases(),
ls-caps.c cap_express(), ls-ecaps.c cap_sriov() and cap_acs()), not by their
indentation, because pasted captures often lose it.  It reads:

* device headers ``[dddd:]bb:ss.f Class [cccc]: Vendor Device [vvvv:dddd] (rev xx)``;
* BARs: ``Region N: Memory at <addr> (64-bit, prefetchable) [virtual] [disabled] [size=16K]``
  (``-v`` prints no ``Region N:``), I/O ports, ``<unassigned>``/``<ignored>``,
  ``Expansion ROM at ...``; sizes as lspci versions print them (``[size=256]``,
  ``[size=16K]``, ``[size=4M]``, ``[size=32G]``);
* bridges: ``Bus: primary=00, secondary=01, subordinate=01``;
* the Express capability's port type, the SR-IOV capability (Initial/Total/Number
  of VFs, VF offset and stride, VF device id, the IOV ``Region`` bases) and ACS
  ``ACSCap``/``ACSCtl`` flags;
* ``IOMMU group``, ``Kernel driver in use``.

Anything else (unknown capabilities, ``<access denied>``, prose around the
capture) is skipped.  Text with no device header at all is rejected with
CaptureParseError naming the first line and what was expected.
"""
from __future__ import annotations

import bisect
import re

from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.kernel_log import TIMESTAMP, read_kernel_log
from dmabuf_lab.hw.loaders.limits import check_bar, check_bus, check_sriov
from dmabuf_lab.hw.loaders.pasted_text import (LogicalLine, logical_lines, read_capture_text,
                                               source_lines)
from dmabuf_lab.hw.loaders.records import (CapturedBar, CapturedDevice, CapturedMachine,
                                           CapturedSriov, CapturedVfBar)
from dmabuf_lab.pci.iov import (iov_size_per_vf, vf_id_for_routing_id,
                                virtfn_bar_start)

HEADER_EXAMPLE = "an lspci device header such as '03:00.0 VGA compatible controller: ...'"

# A header is recognised by its shape alone: an address, whitespace, then the
# class text up to the first colon (any text: "3D controller", "Class [ff00]",
# "Non-Essential Instrumentation [1300]"), with the -nn class code in brackets.
# lspci -P / -PP name a function by its path through the bridges: "00:01.1/00.0/00.0"
# (-P, no bus numbers) or "00:01.1/01:00.0/02:00.0" (-PP); the last element is the function.
_PATH = r"(?P<path>(?:/(?:[0-9a-fA-F]{2}:)?[0-9a-fA-F]{2}\.[0-7])*)"
_ADDRESS = re.compile(r"^(?:(?P<dom>[0-9a-fA-F]{4,8}):)?(?P<bus>[0-9a-fA-F]{2}):(?P<slot>[0-9a-fA-F]{2})"
                      r"\.(?P<fn>[0-7])" + _PATH + r"(?=\s)")
_CLASS_CODE = re.compile(r"\[(?P<cc>[0-9a-fA-F]{4})\]$")
_PATH_ELEMENT = re.compile(r"/(?:(?P<bus>[0-9a-fA-F]{2}):)?(?P<slot>[0-9a-fA-F]{2})\.(?P<fn>[0-7])")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_/#.&()+' -]{0,40}?:(?:\s|$)")
_BAR_START = re.compile(r"^(?:\[(?:virtual|enhanced)\]\s*)?(?:Memory at|I/O ports at|Expansion ROM at)\b")
_BAR = re.compile(
    r"^(?:Region\s+(?P<idx>[0-9]+):\s*)?(?P<pre>(?:\[(?:virtual|enhanced)\]\s*)*)"
    r"(?P<what>Memory at|I/O ports at)\s+(?P<addr><[^>\s]*>|[0-9a-fA-F]+)(?P<tail>.*)$")
_ROM = re.compile(r"^Expansion ROM at\s+(?P<addr><[^>\s]*>|[0-9a-fA-F]+)(?P<tail>.*)$")
_SIZE = re.compile(r"\[size=(?P<n>[0-9]+)\s*(?P<u>[KMGTPE]?)(?:i?B)?\]", re.IGNORECASE)
_CAP = re.compile(r"^Capabilities:\s*(?:\[(?P<pos>[0-9a-fA-F]+)(?:\s+v[0-9]+)?\]\s*)?(?P<name>.*)$")
_BUSLINE = re.compile(r"^Bus:\s*primary=(?P<p>[0-9a-fA-F]+),\s*secondary=(?P<s>[0-9a-fA-F]+),"
                      r"\s*subordinate=(?P<u>[0-9a-fA-F]+)")
_IDS = re.compile(r"\[(?P<ven>[0-9a-fA-F]{4}):(?P<dev>[0-9a-fA-F]{4})\]")
_PROGIF = re.compile(r"\(prog-if (?P<pi>[0-9a-fA-F]{2})")
_NAMED_DEVICE_ID = re.compile(r"\bDevice (?P<dev>[0-9a-fA-F]{4})\b")
_FLAG = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9]*)(?P<v>[+-])")
_ELLIPSIS = re.compile(r"^\[?(?:\.\.\.|\u2026)\]?$")   # "..." / "[...]" where a paste left lines out
_IOMMU = re.compile(r"IOMMU group:?\s*(?P<g>[0-9]+)")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}

_SRIOV_FIELDS = {
    "initial_vfs": re.compile(r"Initial VFs:\s*([0-9]+)"),
    "total_vfs": re.compile(r"Total VFs:\s*([0-9]+)"),
    "num_vfs": re.compile(r"Number of VFs:\s*([0-9]+)"),
    "vf_offset": re.compile(r"VF offset:\s*([0-9]+)"),
    "vf_stride": re.compile(r"stride:\s*([0-9]+)"),
    "vf_device": re.compile(r"Device ID:\s*([0-9a-fA-F]{4})\b"),
}

# include/uapi/linux/pci_regs.h PCI_EXP_TYPE_* as ls-caps.c cap_express() names them
_EXPRESS_TYPES = (
    ("Root Complex Integrated Endpoint", "rc_endpoint"),
    ("Root Complex Event Collector", "rc_event_collector"),
    ("Legacy Endpoint", "legacy_endpoint"),
    ("Endpoint", "endpoint"),
    ("Root Port", "root_port"),
    ("Upstream Port", "upstream_port"),
    ("Downstream Port", "downstream_port"),
    ("PCI-Express to PCI/PCI-X Bridge", "pcie_to_pci_bridge"),
    ("PCI/PCI-X to PCI-Express Bridge", "pci_to_pcie_bridge"),
)

# Class names lspci prints (pci.ids "C" section) for the classes the lab cares about.
_CLASS_CODES = {
    "Host bridge": 0x0600, "ISA bridge": 0x0601, "PCI bridge": 0x0604, "Ethernet controller": 0x0200,
    "Network controller": 0x0280, "Infiniband controller": 0x0207, "VGA compatible controller": 0x0300,
    "3D controller": 0x0302, "Display controller": 0x0380, "Non-Volatile memory controller": 0x0108,
    "SATA controller": 0x0106, "RAID bus controller": 0x0104, "USB controller": 0x0c03,
    "Processing accelerators": 0x1200, "Audio device": 0x0403, "Signal processing controller": 0x1180,
    "System peripheral": 0x0880, "Serial bus controller": 0x0c80, "SMBus": 0x0c05,
    "Communication controller": 0x0780, "Memory controller": 0x0580, "Serial controller": 0x0700,
    "Co-processor": 0x0b40, "Encryption controller": 0x1080,
}

# pci.ids vendor names (as lspci prints them) -> vendor id, for captures without -nn.
_VENDORS = (
    ("Advanced Micro Devices, Inc. [AMD/ATI]", 0x1002), ("Advanced Micro Devices, Inc. [AMD]", 0x1022),
    ("Intel Corporation", 0x8086), ("Mellanox Technologies", 0x15b3), ("NVIDIA Corporation", 0x10de),
    ("Broadcom Inc. and subsidiaries", 0x14e4), ("Samsung Electronics Co Ltd", 0x144d),
    ("Realtek Semiconductor Co., Ltd.", 0x10ec), ("Red Hat, Inc.", 0x1af4), ("Xilinx Corporation", 0x10ee),
    ("PLX Technology, Inc.", 0x10b5), ("ASMedia Technology Inc.", 0x1b21), ("MEDIATEK Corp.", 0x14c3),
    ("Huawei Technologies Co., Ltd.", 0x19e5), ("Micron Technology Inc", 0x1344),
    ("SK hynix", 0x1c5c), ("Qualcomm", 0x17cb), ("Marvell Technology Group Ltd.", 0x1b4b),
)


class _Header:
    """The parts of a device header line: address groups, then ``cls``, ``cc`` and ``desc``."""

    def __init__(self, address: re.Match, cls: str, cc: str | None, desc: str | None):
        self._address = address
        self._rest = {"cls": cls, "cc": cc, "desc": desc}

    def group(self, name: str):
        return self._rest[name] if name in self._rest else self._address.group(name)


def _match_header(text: str) -> _Header | None:
    """A device header split without backtracking: the address, whitespace, the class up to
    the first colon (its ``[cccc]`` code at the end), then the description."""
    m = _ADDRESS.match(text)
    if not m:
        return None
    rest = text[m.end():]
    colon = rest.find(":")
    if colon < 0:
        return None
    cls = rest[:colon].strip()
    after = rest[colon + 1:]
    if not cls or (after and not after[0].isspace()):
        return None
    cc = None
    code = _CLASS_CODE.search(cls)
    if code and cls[:code.start()].strip():
        cc, cls = code.group("cc"), cls[:code.start()].rstrip()
    return _Header(m, cls, cc, after.strip() or None)


def _attrs(tail: str) -> str | None:
    """The text inside the first ``( ... )`` of a BAR line's tail, found without backtracking."""
    start = tail.find("(")
    end = tail.find(")", start + 1) if start >= 0 else -1
    return tail[start + 1:end] if end >= 0 else None


def looks_like_header(text: str) -> bool:
    """True for a stripped line that starts with a PCI address and whitespace, as every
    lspci device header does; parse_lspci() refuses one it cannot read as a header."""
    return bool(_ADDRESS.match(text))


def _path_elements(m: re.Match) -> list[tuple[str | None, str, str]]:
    """(bus, slot, fn) of every function a header names: the address, then the -P/-PP path."""
    first = [(m.group("bus"), m.group("slot"), m.group("fn"))]
    return first + [(e.group("bus"), e.group("slot"), e.group("fn"))
                    for e in _PATH_ELEMENT.finditer(m.group("path") or "")]


def is_device_header(text: str) -> bool:
    """True for a stripped line that is a well-formed lspci device header."""
    return header_problem(text) is None


def header_problem(text: str) -> str | None:
    """Why a line that starts with a PCI address is not a device header (None when it is)."""
    m = _match_header(text)
    if not m:
        return "no 'class: description' after the address"
    for bus, slot, _ in _path_elements(m):
        if int(slot, 16) > 0x1f:
            return f"device number {int(slot, 16):#x} is above 0x1f"
        if bus is None:
            return "a bridge path without bus numbers (lspci -P); lspci -PP prints them"
    return None


def _starts_line(text: str) -> bool:
    return bool(looks_like_header(text) or _KEY.match(text) or _BAR_START.match(text)
                or text.startswith("!!!") or TIMESTAMP.match(text) or _ELLIPSIS.match(text))


def parse_size(text: str) -> int | None:
    """Bytes from a ``[size=...]`` tag in any of the spellings lspci versions use."""
    m = _SIZE.search(text)
    if not m:
        return None
    value = int(m.group("n")) * _UNITS[m.group("u").upper()]
    return value if value > 0 else None


def flags(text: str) -> dict[str, bool]:
    """``SrcValid+ TransBlk-`` -> {"SrcValid": True, "TransBlk": False}."""
    return {m.group("name"): m.group("v") == "+" for m in _FLAG.finditer(text)}


def read_lspci(text_or_path, *, file: str | None = None) -> CapturedMachine:
    """Parse lspci text (str, bytes or a path) into a CapturedMachine."""
    text, name = read_capture_text(text_or_path)
    return parse_lspci(text, file=file or name)


def parse_lspci(text: str, *, file: str | None = None) -> CapturedMachine:
    """Parse the text of one machine's lspci output."""
    lines = source_lines(text, file=file)
    logical = logical_lines(lines, _starts_line)
    machine = CapturedMachine(source=file, format="lspci")

    blocks: list[tuple[LogicalLine, list[LogicalLine]]] = []
    for ll in logical:
        if ll is None:
            continue
        if looks_like_header(ll.text):
            problem = header_problem(ll.text)
            if problem is not None:
                raise CaptureParseError(f"a line starting with a PCI address is not a device header "
                                        f"({problem}): {ll.text[:70]!r}", file=file, line=ll.number,
                                        expected=HEADER_EXAMPLE)
            blocks.append((ll, []))
        elif blocks:
            blocks[-1][1].append(ll)
    if not blocks:
        first = next((ln for ln in lines if ln.text.strip()), None)
        if first is None:
            raise CaptureParseError("the capture is empty", file=file, line=1, expected=HEADER_EXAMPLE)
        shown = first.text.strip()[:60]
        raise CaptureParseError(f"no PCI device found (first line reads {shown!r})", file=file,
                                line=first.number, expected=HEADER_EXAMPLE)

    saw_region_index = saw_caps = saw_unindexed = saw_any_detail = False
    for header, body in blocks:
        dev = _device_from_header(header, machine)
        if dev is None:
            continue
        _read_body(dev, body, machine)
        saw_any_detail |= bool(body)
        saw_region_index |= any(b.index is not None for b in dev.bars.values())
        saw_unindexed |= bool(dev.unindexed_bars)
        saw_caps |= dev.pcie_type is not None or dev.sriov is not None or dev.acs_cap is not None \
            or any(ll.text.startswith("Capabilities:") for ll in body)

    if not saw_any_detail:
        machine.note("plain lspci listing: no BARs, capabilities or bridges (run lspci -vvv)")
    elif saw_unindexed and not saw_region_index:
        machine.note("lspci -v output: BAR indices are not printed and are inferred")
    if saw_any_detail and not saw_caps:
        machine.note("no capabilities printed (lspci -v without root, or -vv needed): "
                     "SR-IOV, ACS and PCIe port types unknown")
    apply_kernel_log(machine, [(ll.number, ll.text) for ll in logical if ll is not None])
    _link_virtual_functions(machine)
    place_in_bus_tree(machine)
    return machine


def kernel_log_lines(text: str, file: str | None = None) -> list[tuple[int, str]]:
    """``(line number, text)`` of a pasted kernel log, wrapped lines joined again."""
    return [(ll.number, ll.text) for ll in logical_lines(source_lines(text, file=file), _starts_line)
            if ll is not None]


def apply_kernel_log(machine: CapturedMachine, lines, source: str | None = None) -> None:
    """Fill ids and per-VF IOV BAR sizes from dmesg lines (``(number, text)`` pairs) pasted
    with the capture or read from ``source``, a file of their own."""
    where = f"{source} line" if source else "kernel log line"
    facts = read_kernel_log(lines)
    for bdf, (ven, did, cls) in facts.ids.items():
        dev = machine.devices.get(bdf)
        if dev is None:
            continue
        if dev.vendor is None:
            dev.vendor = ven
        if dev.device is None:
            dev.device = did
        if dev.class_code is None:
            dev.class_code = cls
        dev.missing[:] = [m for m in dev.missing
                          if not (m.startswith("vendor id") or m.startswith("device id"))]
    for bdf, bars in facts.vf_bar_space.items():
        dev = machine.devices.get(bdf)
        if dev is None:
            continue
        if dev.sriov is None:
            nvfs = sorted({n for _, _, n, _ in bars.values()})
            dev.missing.append(f"{where} {min(b[3] for b in bars.values())}: the kernel sized IOV BARs "
                               f"{sorted(bars)} for {'/'.join(map(str, nvfs))} VFs, but the lspci text shows no "
                               "SR-IOV capability (VF offset and stride unknown; lspci -vvv as root shows them)")
            continue
        for j, (start, size, nvfs, number) in bars.items():
            vb = dev.sriov.vf_bars.get(j)
            if vb is None or vb.size_per_vf is not None:
                continue
            if vb.base is not None and vb.base != start:
                dev.missing.append(f"{where} {number}: VF BAR{j} space starts at {start:#x}, "
                                   f"lspci says {vb.base:#x}; log ignored")
                continue
            per_vf = iov_size_per_vf(size, nvfs)
            if per_vf is None:
                continue
            vb.size_per_vf = per_vf
            vb.size_source = f"{where} {number}: VF(n) BAR{j} space / {nvfs} VFs"
            dev.missing[:] = [m for m in dev.missing
                              if m != f"per-VF size of IOV BAR {j} not printed in SR-IOV block"]


def _device_from_header(header: LogicalLine, machine: CapturedMachine) -> CapturedDevice | None:
    m = _match_header(header.text)
    dom = int(m.group("dom") or "0", 16)
    chain = [f"{dom:04x}:{b.lower()}:{s.lower()}.{f}" for b, s, f in _path_elements(m)]
    bdf = chain[-1]
    if bdf in machine.devices:
        machine.note(f"device {bdf} appears twice (line {header.number}); the later block is ignored")
        return None
    desc = (m.group("desc") or "").strip()
    dev = CapturedDevice(bdf=bdf, class_name=m.group("cls").strip(), line=header.number)
    if len(chain) > 1:
        dev.parent = chain[-2]       # lspci -PP: the bridge the function hangs from
    ids = list(_IDS.finditer(desc))
    if ids:
        dev.vendor = int(ids[-1].group("ven"), 16)
        dev.device = int(ids[-1].group("dev"), 16)
    else:
        for vname, vid in _VENDORS:
            if desc.startswith(vname):
                dev.vendor = vid
                break
        named = _NAMED_DEVICE_ID.search(desc)
        if named:
            dev.device = int(named.group("dev"), 16)
    base_class = int(m.group("cc"), 16) if m.group("cc") else _CLASS_CODES.get(dev.class_name)
    if base_class is not None:
        pi = _PROGIF.search(desc)
        dev.class_code = (base_class << 8) | (int(pi.group("pi"), 16) if pi else 0)
    dev.name = re.sub(r"\s*\[[0-9a-fA-F]{4}:[0-9a-fA-F]{4}\]", "", desc)
    dev.name = re.sub(r"\s*\(prog-if [^)]*\)\)?", "", dev.name).strip()
    if dev.vendor is None:
        dev.missing.append("vendor id not printed (use lspci -nn)")
    if dev.device is None:
        dev.missing.append("device id not printed (use lspci -nn)")
    machine.devices[bdf] = dev
    return dev


def _read_body(dev: CapturedDevice, body: list[LogicalLine], machine: CapturedMachine) -> None:
    cap: str | None = None          # the capability whose lines we are reading
    cut = False                     # the paste left lines out ("...")
    for ll in body:
        t = ll.text
        if _ELLIPSIS.match(t):
            cut = True
            continue
        if t.startswith("Capabilities:"):
            cap = _read_capability_header(dev, ll)
            continue
        if t.startswith(("Kernel driver in use:", "Kernel modules:")):
            cap = None
            if t.startswith("Kernel driver in use:"):
                dev.driver = t.split(":", 1)[1].strip() or None
            continue
        g = _IOMMU.search(t) if t.startswith(("IOMMU group", "Flags:")) else None
        if g:
            dev.iommu_group = int(g.group("g"))
        if cap == "sriov":
            _read_sriov_line(dev, ll, machine.source)
            continue
        if cap == "acs":
            if t.startswith("ACSCap:"):
                dev.acs_cap = flags(t[7:])
            elif t.startswith("ACSCtl:"):
                dev.acs_ctl = flags(t[7:])
            continue
        if cap is not None:
            continue
        if t.startswith("Expansion ROM at"):
            _read_rom(dev, ll, machine.source)
        elif _BAR_START.match(t) or t.startswith("Region"):
            _read_bar(dev, ll, machine.source)
        elif t.startswith("Bus:"):
            b = _BUSLINE.match(t)
            if b:
                where = {"file": machine.source, "line": ll.number}
                dev.primary_bus = check_bus(int(b.group("p"), 16), "primary", **where)
                dev.secondary_bus = check_bus(int(b.group("s"), 16), "secondary", **where)
                dev.subordinate_bus = check_bus(int(b.group("u"), 16), "subordinate", **where)
            else:
                dev.missing.append(f"line {ll.number}: unreadable bridge bus numbers")
    if cut and not dev.acs_seen:
        dev.caps_listed = False     # the ACS capability may be among the lines left out
    if dev.sriov is not None:
        _check_sriov(dev, machine.source)
    if dev.secondary_bus is not None and dev.pcie_type is None:
        dev.missing.append("bridge without an Express capability in the capture: port type unknown")
    if dev.bars and dev.unindexed_bars:
        dev.unindexed_bars.clear()


def _read_capability_header(dev: CapturedDevice, ll: LogicalLine) -> str | None:
    m = _CAP.match(ll.text)
    name = m.group("name") if m else ""
    if "<access denied>" in name:
        dev.missing.append("capabilities: <access denied> (lspci run without root): "
                           "SR-IOV, ACS and PCIe port type unknown")
        return None
    if m and m.group("pos"):
        dev.caps_listed = True
    if name.startswith("Express"):
        for label, kind in _EXPRESS_TYPES:
            if label in name:
                dev.pcie_type = kind
                break
        return "express"
    if "Single Root I/O Virtualization" in name or "(SR-IOV)" in name:
        if dev.sriov is None:
            dev.sriov = CapturedSriov(line=ll.number)
        return "sriov"
    if "Access Control Services" in name:
        dev.acs_seen = True
        return "acs"
    return "other"


def _read_sriov_line(dev: CapturedDevice, ll: LogicalLine, file: str | None) -> None:
    sriov = dev.sriov
    t = ll.text
    if t.startswith("Region") or _BAR_START.match(t):
        m = _BAR.match(t)
        if not m or m.group("idx") is None or not m.group("addr")[0].isalnum():
            return
        idx = int(m.group("idx"))
        if idx > 5 or idx in sriov.vf_bars:
            dev.missing.append(f"line {ll.number}: IOV region {idx} unusable or repeated; ignored")
            return
        a = _attrs(m.group("tail")) or ""
        size = parse_size(m.group("tail"))
        sriov.vf_bars[idx] = CapturedVfBar(
            index=idx, base=int(m.group("addr"), 16), size_per_vf=size,
            is64=("64-bit" in a) if a else None,
            prefetchable=(("prefetchable" in a) and ("non-prefetchable" not in a)) if a else None,
            size_source="lspci SR-IOV block [size=]" if size else None, line=ll.number)
        vb = sriov.vf_bars[idx]
        check_bar(CapturedBar(index=idx, base=vb.base, size=vb.size_per_vf, kind="mem", is64=None,
                              prefetchable=None, line=ll.number), file=file, what=f"IOV BAR {idx}")
        return
    for fname, rx in _SRIOV_FIELDS.items():
        if getattr(sriov, fname) is None:
            m = rx.search(t)
            if m:
                setattr(sriov, fname, int(m.group(1), 16 if fname == "vf_device" else 10))


def _check_sriov(dev: CapturedDevice, file: str | None) -> None:
    s = dev.sriov
    check_sriov(dev, file=file)
    for fname in _SRIOV_FIELDS:
        if getattr(s, fname) is None:
            dev.missing.append(f"SR-IOV block lacks {fname} (truncated capture?)")
    if not s.vf_bars:
        dev.missing.append("SR-IOV block shows no IOV regions")
    for vb in s.vf_bars.values():
        if vb.size_per_vf is None:
            dev.missing.append(f"per-VF size of IOV BAR {vb.index} not printed in SR-IOV block")


def _read_bar(dev: CapturedDevice, ll: LogicalLine, file: str | None) -> None:
    m = _BAR.match(ll.text)
    if not m:
        dev.missing.append(f"line {ll.number}: unreadable BAR line {ll.text[:50]!r}")
        return
    addr = m.group("addr")
    tail = m.group("tail")
    a = _attrs(tail) or ""
    io = m.group("what").startswith("I/O")
    bar = CapturedBar(
        index=int(m.group("idx")) if m.group("idx") is not None else None,
        base=None if addr.startswith("<") else int(addr, 16),
        size=parse_size(tail),
        kind="io" if io else "mem",
        is64=None if io or not a else ("64-bit" in a),
        prefetchable=False if io else ((("prefetchable" in a) and ("non-prefetchable" not in a)) if a else None),
        virtual="[virtual]" in tail or "virtual" in m.group("pre"),
        disabled="[disabled]" in tail,
        unassigned=addr.startswith("<"),
        line=ll.number)
    check_bar(bar, file=file)
    if bar.size is None:
        dev.missing.append(f"BAR {bar.index if bar.index is not None else '?'} size not printed")
    if bar.index is None:
        dev.unindexed_bars.append(bar)
    elif bar.index > 5:
        dev.missing.append(f"line {ll.number}: BAR index {bar.index} out of range; ignored")
    elif bar.index in dev.bars:
        dev.missing.append(f"line {ll.number}: BAR {bar.index} printed twice; later one ignored")
    else:
        dev.bars[bar.index] = bar


def _read_rom(dev: CapturedDevice, ll: LogicalLine, file: str | None) -> None:
    m = _ROM.match(ll.text)
    if not m or dev.rom is not None:
        return
    addr = m.group("addr")
    tail = m.group("tail")
    dev.rom = CapturedBar(index=None, base=None if addr.startswith("<") else int(addr, 16),
                          size=parse_size(tail), kind="rom", is64=False, prefetchable=False,
                          virtual="[virtual]" in tail, disabled="[disabled]" in tail,
                          unassigned=addr.startswith("<"), line=ll.number)
    check_bar(dev.rom, file=file, what="expansion ROM")


def _link_virtual_functions(machine: CapturedMachine) -> None:
    """Mark VFs whose PF is in the capture, index their -v BARs, learn per-VF sizes."""
    pfs = [d for d in machine.devices.values()
           if d.sriov is not None and d.sriov.vf_offset is not None]
    _drop_sriov_of_vfs(pfs)
    pfs = [d for d in pfs if d.sriov is not None]
    owner = _vf_owners(machine, pfs)
    for dev in machine.devices.values():
        if dev.sriov is not None:
            continue
        found = owner.get(dev.bdf)
        if found is not None:
            pf, vf_id = found
            s = pf.sriov
            dev.is_virtfn, dev.physfn, dev.vf_index = True, pf.bdf, vf_id
            if dev.vendor is None:
                dev.vendor = pf.vendor
                dev.missing[:] = [x for x in dev.missing if not x.startswith("vendor id")]
            if s.vf_device is not None and dev.device is None:
                dev.device = s.vf_device
                dev.missing[:] = [x for x in dev.missing if not x.startswith("device id")]
        if not dev.is_virtfn and any(b.virtual for b in list(dev.bars.values()) + dev.unindexed_bars):
            dev.missing.append("BARs marked [virtual] (a VF?) but its PF is not in the capture")
        _index_unindexed_bars(dev, machine)
    vfs_of: dict[str, list[CapturedDevice]] = {}
    for dev in machine.devices.values():
        if dev.physfn is not None:
            vfs_of.setdefault(dev.physfn, []).append(dev)
    for pf in pfs:
        _learn_vf_sizes(pf, vfs_of.get(pf.bdf, []))


def _drop_sriov_of_vfs(pfs: list[CapturedDevice]) -> None:
    """A function at a VF position of another PF is that VF, even with an SR-IOV capability.

    pci_iov_init() skips sriov_init() for a VF, so its capability is ignored.
    Each PF looks only at the PFs whose routing ids fall inside its VF range.
    """
    by_domain: dict[int, list[CapturedDevice]] = {}
    for pf in sorted(pfs, key=lambda d: d.routing_id):
        by_domain.setdefault(pf.domain, []).append(pf)
    for rows in by_domain.values():
        rids = [d.routing_id for d in rows]
        for pf in rows:
            s = pf.sriov
            if s is None:
                continue
            stride = s.vf_stride or 0
            lo = pf.routing_id + s.vf_offset
            hi = lo if stride == 0 else (lo + stride * (s.total_vfs - 1) if s.total_vfs else 0xFFFF)
            for k in range(bisect.bisect_left(rids, lo), bisect.bisect_right(rids, hi)):
                other = rows[k]
                if other is pf or other.sriov is None:
                    continue
                vf_id = vf_id_for_routing_id(pf.routing_id, s.vf_offset, stride,
                                             other.routing_id, s.total_vfs)
                if vf_id is None:
                    continue
                other.sriov = None
                other.missing[:] = [m for m in other.missing if "IOV" not in m]
                other.missing.append(f"shows an SR-IOV capability although it is VF{vf_id} of {pf.bdf}; "
                                     "ignored, as the kernel ignores it on a VF")


def _vf_owners(machine: CapturedMachine, pfs: list[CapturedDevice]) -> dict:
    """bdf -> (PF, VF index) for every non-PF function some PF's VF layout places there.

    Each PF looks only at the functions whose routing ids fall inside its VF
    range (found by bisection), so a host with thousands of VFs costs about
    one look per function; the first PF in capture order wins, as it would
    when asking every PF in turn.
    """
    by_domain: dict[int, list[tuple[int, CapturedDevice]]] = {}
    for dev in machine.devices.values():
        if dev.sriov is None:
            by_domain.setdefault(dev.domain, []).append((dev.routing_id, dev))
    for rows in by_domain.values():
        rows.sort(key=lambda r: r[0])
    rids_of = {dom: [r for r, _ in rows] for dom, rows in by_domain.items()}
    owner: dict[str, tuple[CapturedDevice, int]] = {}
    for pf in pfs:
        s = pf.sriov
        rows = by_domain.get(pf.domain)
        if not rows:
            continue
        if s.total_vfs is not None and s.total_vfs <= 0:
            continue
        stride = s.vf_stride or 0
        lo = pf.routing_id + s.vf_offset
        hi = lo if stride == 0 else (lo + stride * (s.total_vfs - 1) if s.total_vfs else 0xFFFF)
        rids = rids_of[pf.domain]
        for k in range(bisect.bisect_left(rids, lo), bisect.bisect_right(rids, hi)):
            rid, dev = rows[k]
            if dev.bdf in owner or dev.bdf == pf.bdf:
                continue
            vf_id = vf_id_for_routing_id(pf.routing_id, s.vf_offset, stride, rid, s.total_vfs)
            if vf_id is not None:
                owner[dev.bdf] = (pf, vf_id)
    return owner


def _index_unindexed_bars(dev: CapturedDevice, machine: CapturedMachine) -> None:
    """Give -v BARs an index: by the PF's IOV layout for a VF, else by BAR order."""
    if not dev.unindexed_bars:
        return
    pf = machine.devices.get(dev.physfn) if dev.physfn else None
    slot = 0
    for bar in dev.unindexed_bars:
        idx = None
        if pf is not None and bar.base is not None and bar.size:
            for vb in pf.sriov.vf_bars.values():
                if vb.base is not None and \
                        virtfn_bar_start(vb.base, bar.size, dev.vf_index) == bar.base:
                    idx = vb.index
                    break
        if idx is None:
            while slot in dev.bars:
                slot += 1
            idx = slot
            dev.missing.append(f"BAR at line {bar.line}: index not printed (lspci -v), assumed {idx}")
        if idx in dev.bars or idx > 5:
            continue
        bar.index = idx
        dev.bars[idx] = bar
        slot = idx + (2 if bar.is64 else 1)
    dev.unindexed_bars.clear()
    dev.missing[:] = [x for x in dev.missing if x != "BAR ? size not printed"]


def _learn_vf_sizes(pf: CapturedDevice, vfs: list[CapturedDevice]) -> None:
    for vf in vfs:
        for vb in pf.sriov.vf_bars.values():
            bar = vf.bars.get(vb.index)
            if bar is None or bar.size is None or vb.size_per_vf is not None:
                continue
            vb.size_per_vf = bar.size
            vb.size_source = f"VF {vf.bdf} BAR {vb.index} (line {bar.line})"
            pf.missing[:] = [x for x in pf.missing
                             if x != f"per-VF size of IOV BAR {vb.index} not printed in SR-IOV block"]
            if bar.base is not None and vb.base is not None and \
                    virtfn_bar_start(vb.base, bar.size, vf.vf_index) != bar.base:
                pf.missing.append(f"VF {vf.bdf} BAR {vb.index} base does not follow the IOV layout")


def place_in_bus_tree(machine: CapturedMachine) -> None:
    """Parent of each device: the innermost bridge whose bus range holds its bus."""
    # per (domain, bus): the two innermost bridges whose bus range holds it (a bridge is
    # never its own parent), so each device is placed with one look-up
    inner: dict[tuple[int, int], list] = {}
    for br in machine.devices.values():
        if br.secondary_bus is None:
            continue
        lo, hi = br.secondary_bus, br.subordinate_bus
        if hi is None or hi < lo:
            hi = lo
        for bus in range(max(lo, 0), min(hi, 0xFF) + 1):
            best = inner.setdefault((br.domain, bus), [])
            best.append((hi - lo, -lo, len(best), br))
            best.sort(key=lambda b: b[:3])
            del best[2:]
    lonely_buses = set()
    for dev in machine.devices.values():
        if dev.parent is not None:
            continue
        best = next((b[3] for b in inner.get((dev.domain, dev.bus), ()) if b[3] is not dev), None)
        if best is not None:
            dev.parent = best.bdf
        elif dev.bus != 0 and not dev.is_virtfn:
            lonely_buses.add((dev.domain, dev.bus))
    for dom, bus in sorted(lonely_buses):
        machine.note(f"no bridge for bus {dom:04x}:{bus:02x} in the capture: "
                     "its devices hang from the host bridge")
