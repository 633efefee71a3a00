"""What PCI allows a capture to say: bus numbers, BAR sizes, SR-IOV registers.

A capture is text anyone can edit, so a number is checked against the
register it stands for before the lab builds anything from it: a bus number
is 8 bits, a BAR is at most 64-bit, the SR-IOV TotalVFs, NumVFs, First VF
Offset and VF Stride registers are 16 bits, and the kernel's
``sriov_numvfs`` store refuses more VFs than TotalVFs.  A VF's routing id
must still be a routing id (bus 00-ff).  Each check raises CaptureParseError
naming the file and line.
"""
from __future__ import annotations

from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.records import CapturedBar, CapturedDevice

MAX_BUS = 0xFF
MAX_ROUTING_ID = 0xFFFF
MAX_SRIOV_REGISTER = 0xFFFF          # TotalVFs, NumVFs, First VF Offset, VF Stride: 16-bit fields
ADDRESS_LIMIT = 1 << 64              # a 64-bit BAR ends at or below 2^64


def check_bus(value: int, what: str, *, file: str | None, line: int | None) -> int:
    """A bus number as a bridge's Bus line or sysfs prints it: 0x00-0xff."""
    if not 0 <= value <= MAX_BUS:
        raise CaptureParseError(f"{what} bus number {value:#x} is out of range", file=file, line=line,
                                field=what, expected="a bus number 00-ff")
    return value


def check_bar(bar: CapturedBar, *, file: str | None, what: str = "BAR") -> None:
    """A BAR's size and base inside the 64-bit address space (I/O BARs: 32-bit)."""
    limit = (1 << 32) if bar.kind == "io" else ADDRESS_LIMIT
    size, base = bar.size or 0, bar.base or 0
    if size > limit or base >= limit or base + size > limit:
        raise CaptureParseError(f"{what} at {base:#x} of {size:#x} bytes lies beyond the "
                                f"{'32' if bar.kind == 'io' else '64'}-bit address space",
                                file=file, line=bar.line, field=what,
                                expected="a BAR that a 64-bit (I/O: 32-bit) register can hold")


def check_sriov(dev: CapturedDevice, *, file: str | None) -> None:
    """The SR-IOV registers of a PF and the routing ids its VFs would take."""
    s = dev.sriov
    line = s.line
    for name in ("initial_vfs", "total_vfs", "num_vfs", "vf_offset", "vf_stride"):
        value = getattr(s, name)
        if value is not None and not 0 <= value <= MAX_SRIOV_REGISTER:
            raise CaptureParseError(f"{dev.bdf}: SR-IOV {name} {value} does not fit its 16-bit register",
                                    file=file, line=line, field=name, expected="a value 0-65535")
    if s.num_vfs is not None and s.total_vfs is not None and s.num_vfs > s.total_vfs:
        raise CaptureParseError(f"{dev.bdf}: NumVFs {s.num_vfs} is above TotalVFs {s.total_vfs}",
                                file=file, line=line, field="num_vfs",
                                expected="NumVFs <= TotalVFs (sriov_numvfs refuses more)")
    count = s.num_vfs or 0
    if count and s.vf_offset is not None:
        last = dev.routing_id + s.vf_offset + (s.vf_stride or 0) * (count - 1)
        if last > MAX_ROUTING_ID:
            raise CaptureParseError(f"{dev.bdf}: VF{count - 1} would take routing id {last:#x}, beyond bus ff",
                                    file=file, line=line, field="vf_offset",
                                    expected="VF offset and stride that keep every VF on buses 00-ff")
