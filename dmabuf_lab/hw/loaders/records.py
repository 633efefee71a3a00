"""What a capture says about a machine, before it becomes an ``hw.Topology``.

Each loader fills these small records first.  Anything the capture does not
show stays ``None`` and is listed in ``missing`` with the reason, so a reader
can tell "the device has no such BAR" from "the capture did not print it".
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CapturedBar:
    """One BAR (or the expansion ROM, ``kind == "rom"``) as the capture shows it."""

    index: int | None            # 0..5; None when lspci -v printed no "Region N:"
    base: int | None             # None when <unassigned>/<ignored> or not printed
    size: int | None             # bytes; None when the capture does not show it
    kind: str = "mem"            # "mem" | "io" | "rom"
    is64: bool | None = None
    prefetchable: bool | None = None
    virtual: bool = False        # reported by the OS, not by the device (VF BARs)
    disabled: bool = False
    unassigned: bool = False     # <unassigned> or <ignored>
    line: int | None = None


@dataclass
class CapturedVfBar:
    """One IOV BAR of a PF: where VF 0's copy of BAR ``index`` starts."""

    index: int
    base: int | None
    size_per_vf: int | None = None
    is64: bool | None = None
    prefetchable: bool | None = None
    size_source: str | None = None   # how size_per_vf was learnt, for the README/tests
    line: int | None = None


@dataclass
class CapturedSriov:
    """The SR-IOV extended capability of a PF."""

    initial_vfs: int | None = None
    total_vfs: int | None = None
    num_vfs: int | None = None
    vf_offset: int | None = None
    vf_stride: int | None = None
    vf_device: int | None = None
    vf_bars: dict[int, CapturedVfBar] = field(default_factory=dict)
    line: int | None = None


@dataclass
class CapturedDevice:
    """One PCI function from a capture."""

    bdf: str                     # always with domain: "0000:05:00.0"
    name: str = ""
    class_name: str = ""
    vendor: int | None = None
    device: int | None = None
    class_code: int | None = None
    bars: dict[int, CapturedBar] = field(default_factory=dict)
    rom: CapturedBar | None = None
    unindexed_bars: list[CapturedBar] = field(default_factory=list)
    sriov: CapturedSriov | None = None
    pcie_type: str | None = None     # "endpoint", "root_port", "upstream_port", ...
    secondary_bus: int | None = None
    subordinate_bus: int | None = None
    primary_bus: int | None = None
    acs_cap: dict[str, bool] | None = None
    acs_ctl: dict[str, bool] | None = None
    caps_listed: bool = False        # the capture lists this function's capabilities
    acs_seen: bool = False           # ... and an ACS capability among them
    iommu_group: int | None = None
    driver: str | None = None
    physfn: str | None = None        # bdf of the PF for a VF
    vf_index: int | None = None
    is_virtfn: bool = False
    parent: str | None = None        # bdf of the upstream bridge / port, when known
    line: int | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def domain(self) -> int:
        return int(self.bdf[:-8], 16)

    @property
    def bus(self) -> int:
        return int(self.bdf[-7:-5], 16)

    @property
    def devfn(self) -> int:
        """PCI_DEVFN(slot, func) as include/uapi/linux/pci.h packs it."""
        slot = int(self.bdf[-4:-2], 16)
        func = int(self.bdf[-1], 16)
        return ((slot & 0x1f) << 3) | (func & 0x07)

    @property
    def routing_id(self) -> int:
        """Bus number and devfn in one 16-bit id, as SR-IOV offsets count them."""
        return (self.bus << 8) | self.devfn


@dataclass
class CapturedMachine:
    """Every device a capture shows, in the order it shows them."""

    source: str | None
    format: str                      # "lspci" | "sysfs"
    devices: dict[str, CapturedDevice] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Record that the capture lacks something (kept once, in order)."""
        if message not in self.missing:
            self.missing.append(message)

    def all_missing(self) -> list[str]:
        """Machine-wide notes, then per-device notes prefixed with the bdf."""
        out = list(self.missing)
        for dev in self.devices.values():
            out.extend(f"{dev.bdf}: {m}" for m in dev.missing)
        return out


def bdf_from_routing_id(domain: int, rid: int) -> str:
    """Format a 16-bit routing id (bus << 8 | devfn) as a domain:bus:slot.func string."""
    bus = (rid >> 8) & 0xff
    devfn = rid & 0xff
    return f"{domain:04x}:{bus:02x}:{devfn >> 3:02x}.{devfn & 7}"
