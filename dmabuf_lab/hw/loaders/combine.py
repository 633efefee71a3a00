"""Several files from one machine -> one CapturedMachine.

A bug report rarely holds everything in one paste: ``lspci -vvv`` shows
capabilities but never a per-VF BAR size; the kernel log (``dmesg``) shows
ids and the IOV windows sriov_init() sized; a sysfs ``resource`` file shows
every resource of one function, IOV windows included.  ``read_files()``
parses the lspci text (one or more files, in order) and completes it with
the others:

* dmesg lines: ids (``pci 0000:53:00.0: [8086:56c0] type 00 class 0x038000``)
  and ``VF(n) BARk space`` windows, as ``kernel_log`` reads them;
* a ``resource`` file named for its function (``BDF=PATH``): sizes of BARs
  whose base matches, per-VF sizes of IOV BARs (window / TotalVFs).

A fact from a completing file that contradicts the lspci text is not used;
the note says which file and line disagreed.
"""
from __future__ import annotations

from pathlib import Path

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.lspci import apply_kernel_log, kernel_log_lines, parse_lspci
from dmabuf_lab.hw.loaders.pasted_text import read_capture_text
from dmabuf_lab.hw.loaders.records import CapturedMachine
from dmabuf_lab.hw.loaders.sysfs import PCI_IOV_RESOURCES, parse_resource
from dmabuf_lab.pci.iov import iov_size_per_vf
from dmabuf_lab.pci.pci import parse_bdf, format_bdf


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def canonical_bdf(text: str, *, file: str | None = None) -> str:
    """``05:00.0`` or ``0000:05:00.0`` -> ``0000:05:00.0``; CaptureParseError otherwise."""
    try:
        return format_bdf(*parse_bdf(text))
    except TopologyError:
        raise CaptureParseError(f"{text!r} is not a PCI address", file=file,
                                expected="a function address such as 0000:05:00.0") from None


def read_files(lspci, dmesg=None, resource=None) -> CapturedMachine:
    """One machine from lspci text files, completed by dmesg files and ``{bdf: resource file}``."""
    lspci = _as_list(lspci)
    if not lspci:
        raise CaptureParseError("no lspci text given", expected="at least one file of lspci -vvv output")
    parts = [read_capture_text(Path(p) if isinstance(p, str) else p) for p in lspci]
    label = " + ".join(n or "<text>" for _, n in parts)
    machine = parse_lspci("\n\n".join(t for t, _ in parts), file=label)
    for path in _as_list(dmesg):
        text, name = read_capture_text(Path(path) if isinstance(path, str) else path)
        apply_kernel_log(machine, kernel_log_lines(text, name), source=name)
        machine.source = f"{machine.source} + {name}"
    for bdf, path in (resource or {}).items():
        p = Path(path)
        key = canonical_bdf(bdf, file=str(p))
        dev = machine.devices.get(key)
        if dev is None:
            raise CaptureParseError(f"the resource file is given for {key}, which the lspci text does not "
                                    "show", file=str(p), expected="the address of a function in the lspci text")
        text, name = read_capture_text(p)
        apply_resource(machine, key, parse_resource(text, file=name), name)
        machine.source = f"{machine.source} + {name}"
    return machine


def apply_resource(machine: CapturedMachine, bdf: str, lines, name: str | None) -> None:
    """Fill sizes the lspci text did not show from one function's sysfs ``resource`` lines."""
    dev = machine.devices[bdf]
    for idx, bar in dev.bars.items():
        if idx >= len(lines) or bar.size is not None or bar.base is None:
            continue
        start, end, flg = lines[idx]
        if not flg:
            continue
        if start != bar.base:
            dev.missing.append(f"{name} line {idx + 1}: BAR {idx} starts at {start:#x}, lspci says "
                               f"{bar.base:#x}; not used")
            continue
        bar.size = end - start + 1
        dev.missing[:] = [m for m in dev.missing if m != f"BAR {idx} size not printed"]
    s = dev.sriov
    if s is None:
        return
    for j, vb in s.vf_bars.items():
        k = PCI_IOV_RESOURCES + j
        if vb.size_per_vf is not None or k >= len(lines):
            continue
        start, end, flg = lines[k]
        if not flg or vb.base is None:
            continue
        if start != vb.base:
            dev.missing.append(f"{name} line {k + 1}: IOV BAR {j} starts at {start:#x}, lspci says "
                               f"{vb.base:#x}; not used")
            continue
        per_vf = iov_size_per_vf(end - start + 1, s.total_vfs or 0)
        if per_vf is None:
            continue
        vb.size_per_vf = per_vf
        vb.size_source = f"{name} line {k + 1}: IOV resource / TotalVFs {s.total_vfs}"
        dev.missing[:] = [m for m in dev.missing
                          if m != f"per-VF size of IOV BAR {j} not printed in SR-IOV block"]
