"""PCI functions, their BARs and their names (bus/devfn/routing id).

A ``PciDevice`` stands for one ``struct pci_dev``: an endpoint, a VF, or a
bridge (root port, switch port).  Bridges are PCI functions too, so the tree is
made of ``PciDevice`` objects linked through ``parent`` (the bridge whose
secondary bus the function sits on; ``None`` on a root bus).

Resource numbers follow ``include/linux/pci.h``: 0..5 are the standard BARs,
6 is the expansion ROM and 7..12 (``PCI_IOV_RESOURCES``) the SR-IOV BARs of a PF.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.twins import mirrors

PCI_STD_NUM_BARS = 6
PCI_ROM_RESOURCE = 6
PCI_IOV_RESOURCES = 7
PCI_SRIOV_NUM_BARS = 6
PCI_IOV_RESOURCE_END = PCI_IOV_RESOURCES + PCI_SRIOV_NUM_BARS - 1

# pcie_type values (PCI_EXP_TYPE_* in include/uapi/linux/pci_regs.h, by name)
PCIE_TYPES = ("endpoint", "rc_endpoint", "root_port", "upstream_port", "downstream_port",
              "pci_bridge", "host_bridge")
BRIDGE_TYPES = ("root_port", "upstream_port", "downstream_port", "pci_bridge")


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:PCI_DEVFN", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def PCI_DEVFN(slot: int, func: int) -> int:
    """devfn byte from a slot (device) number and a function number."""
    return ((slot & 0x1F) << 3) | (func & 0x07)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:PCI_SLOT", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def PCI_SLOT(devfn: int) -> int:
    """Slot (device) number of a devfn."""
    return (devfn >> 3) & 0x1F


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:PCI_FUNC", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def PCI_FUNC(devfn: int) -> int:
    """Function number of a devfn."""
    return devfn & 0x07


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:PCI_DEVID", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def PCI_DEVID(bus: int, devfn: int) -> int:
    """16-bit requester/routing id: bus number in the high byte, devfn in the low."""
    return ((bus & 0xFF) << 8) | (devfn & 0xFF)


def routing_id_to_bus_devfn(rid: int) -> tuple[int, int]:
    """Split a routing id into (bus, devfn)."""
    return (rid >> 8) & 0xFF, rid & 0xFF


_BDF_RE = re.compile(r"^(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")


def parse_bdf(text: str, *, field: str = "bdf") -> tuple[int, int, int]:
    """``"0000:03:00.1"`` (domain optional) -> (domain, bus, devfn); TopologyError otherwise."""
    m = _BDF_RE.match(str(text).strip())
    if not m:
        raise TopologyError(f"{text!r} is not a PCI address; expected DDDD:BB:DD.F such as 0000:03:00.0",
                            field=field)
    dom = int(m.group(1) or "0", 16)
    bus = int(m.group(2), 16)
    slot = int(m.group(3), 16)
    if slot > 0x1F:
        raise TopologyError(f"{text!r}: device number {slot:#x} is above 0x1f", field=field)
    return dom, bus, PCI_DEVFN(slot, int(m.group(4)))


def format_bdf(domain: int, bus: int, devfn: int) -> str:
    """(domain, bus, devfn) -> ``"0000:03:00.1"``, the name ``pci_name()`` prints."""
    return f"{domain:04x}:{bus:02x}:{PCI_SLOT(devfn):02x}.{PCI_FUNC(devfn)}"


def is_power_of_2(n: int) -> bool:
    """True for 1, 2, 4, ... (the kernel's is_power_of_2())."""
    return n > 0 and (n & (n - 1)) == 0


@dataclass
class Bar:
    """One memory BAR of a function: ``resource[index]`` with its CPU address range.

    ``virtual`` marks a VF BAR, which has no register of its own: the PF's
    SR-IOV capability places it (lspci prints ``[virtual]``).
    """

    index: int
    base: int
    size: int
    is64: bool = True
    prefetchable: bool = True
    virtual: bool = False
    name: str = ""

    @property
    def end(self) -> int:
        """Last byte of the BAR (``resource->end``)."""
        return self.base + self.size - 1

    def contains(self, addr: int, length: int = 1) -> bool:
        """True when ``[addr, addr+length)`` lies inside the BAR."""
        return self.base <= addr and addr + length <= self.base + self.size

    def flags_text(self) -> str:
        """lspci-like flags: ``64-bit, prefetchable``."""
        bits = "64-bit" if self.is64 else "32-bit"
        pref = "prefetchable" if self.prefetchable else "non-prefetchable"
        return f"{bits}, {pref}" + (" [virtual]" if self.virtual else "")


class PciDevice:
    """One PCI function (``struct pci_dev``).

    ``parent`` is the upstream bridge (``dev->bus->self``) or None on a root
    bus; ``host_bridge`` the host bridge of its hierarchy.  A VF has
    ``physfn`` set and ``parent`` equal to its PF's parent, as ``virtfn_add()``
    does.  ``acs_cap``/``acs_ctrl`` hold the ACS capability and control bits
    (``PCI_ACS_*`` in ``bridge.py``); ``acs_cap == 0`` means no ACS capability.
    """

    def __init__(self, bdf: str, vendor: int, device: int, *, class_code: int = 0,
                 name: str = "", bars=None, parent: "PciDevice | None" = None,
                 pcie_type: str = "endpoint", driver: str | None = None,
                 iommu_group: int | None = None, acs_cap: int = 0, acs_ctrl: int = 0,
                 secondary: int | None = None, subordinate: int | None = None,
                 revision: int = 0):
        self.domain, self.bus, self.devfn = parse_bdf(bdf)
        if pcie_type not in PCIE_TYPES:
            raise TopologyError(f"{bdf}: unknown pcie_type {pcie_type!r}; expected one of "
                                + ", ".join(PCIE_TYPES), field="pcie_type")
        self.vendor = int(vendor)
        self.device = int(device)
        self.class_code = int(class_code)
        self.revision = int(revision)
        self.name = name
        self.pcie_type = pcie_type
        self.driver = driver
        self.iommu_group = iommu_group
        self.acs_cap = int(acs_cap)
        self.acs_ctrl = int(acs_ctrl)
        self.secondary = secondary
        self.subordinate = subordinate
        self.parent = parent
        self.children: list[PciDevice] = []
        self.host_bridge = None        # set by Topology.add_device / HostBridge
        self.topology = None           # back reference, set by Topology.add_device
        self.bars: dict[int, Bar] = {}
        for bar in (bars.values() if isinstance(bars, dict) else (bars or ())):
            self.add_bar(bar)
        self.sriov = None              # SriovCap for a PF
        self.physfn: PciDevice | None = None
        self.vf_index: int | None = None
        self.vram = None               # Vram for a device with local memory
        self.lmem = None               # LmemObject: a VF's LMEM quota, carved from its PF's VRAM
        self.lmem_quota = None         # bytes provisioned to a VF when known without its blocks
        self.p2pdma = None             # provider state once the device publishes P2P memory
        self.dma_mask = (1 << 64) - 1
        # facts the source (a capture) does not show: "vendor", "device", "class", "acs",
        # "BAR<n>" -> why; presets know everything and leave it empty
        self.unknown: dict[str, str] = {}

    # -- names -------------------------------------------------------------------------
    @property
    def bdf(self) -> str:
        """``pci_name()``: ``"0000:03:00.0"`` (formatted again only when the address changes)."""
        key = (self.domain, self.bus, self.devfn)
        cached = self.__dict__.get("_bdf")
        if cached is None or cached[0] != key:
            cached = self._bdf = (key, format_bdf(*key))
        return cached[1]

    @property
    def routing_id(self) -> int:
        """``pci_dev_id()``: bus << 8 | devfn."""
        return PCI_DEVID(self.bus, self.devfn)

    @property
    def slot(self) -> int:
        """Device (slot) number, ``PCI_SLOT(devfn)``."""
        return PCI_SLOT(self.devfn)

    @property
    def func(self) -> int:
        """Function number, ``PCI_FUNC(devfn)``."""
        return PCI_FUNC(self.devfn)

    @property
    def is_virtfn(self) -> bool:
        """True for an SR-IOV virtual function."""
        return self.physfn is not None

    @property
    def is_physfn(self) -> bool:
        """True for a function with an SR-IOV capability."""
        return self.sriov is not None

    @property
    def is_bridge(self) -> bool:
        """True for root ports, switch ports and PCI bridges."""
        return self.pcie_type in BRIDGE_TYPES

    def add_bar(self, bar: Bar) -> Bar:
        """Attach a BAR; a second BAR with the same index is a TopologyError."""
        if bar.index in self.bars:
            raise TopologyError(f"{self.bdf}: BAR{bar.index} given twice", field=f"bars[{bar.index}]")
        self.bars[bar.index] = bar
        return bar

    def __repr__(self) -> str:
        kind = "VF" if self.is_virtfn else self.pcie_type
        return f"<PciDevice {self.bdf} {self.vendor:04x}:{self.device:04x} {kind} {self.name!r}>"


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_physfn", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_physfn(dev: PciDevice) -> PciDevice:
    """The PF of a VF, or the device itself (``pci_physfn()``)."""
    return dev.physfn if dev.is_virtfn else dev


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_dev_id", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("rfc-v1",))
def pci_dev_id(dev: PciDevice) -> int:
    """Routing id of a function (``pci_dev_id()``)."""
    return dev.routing_id


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_is_root_bus", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def pci_is_root_bus_dev(dev: PciDevice) -> bool:
    """True when the function sits on a root bus (no upstream bridge)."""
    return dev.parent is None


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_upstream_bridge", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_upstream_bridge(dev: PciDevice) -> PciDevice | None:
    """The bridge above a function, looking through a VF to its PF (``pci_upstream_bridge()``)."""
    dev = pci_physfn(dev)
    if dev.parent is None:
        return None
    return dev.parent


def _resource(dev: PciDevice, resno: int):
    """(start, length, Bar-or-None) of ``dev->resource[resno]``; an absent resource is (0, 0)."""
    if 0 <= resno < PCI_STD_NUM_BARS:
        bar = dev.bars.get(resno)
        return (bar.base, bar.size, bar) if bar else (0, 0, None)
    if PCI_IOV_RESOURCES <= resno <= PCI_IOV_RESOURCE_END:
        if dev.sriov is None:
            return 0, 0, None
        vfbar = dev.sriov.vf_bars.get(resno - PCI_IOV_RESOURCES)
        if vfbar is None:
            return 0, 0, None
        return vfbar.base, vfbar.size_per_vf * dev.sriov.total_vfs, vfbar
    return 0, 0, None


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_resource_start", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_resource_start(dev: PciDevice, bar: int) -> int:
    """CPU address where resource ``bar`` starts; 0 when the function has none.

    ``bar`` 7..12 name the SR-IOV windows of a PF, as in the kernel.
    """
    return _resource(dev, bar)[0]


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_resource_len", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_resource_len(dev: PciDevice, bar: int) -> int:
    """Length of resource ``bar``; 0 when absent.  An IOV window spans per-VF size × TotalVFs."""
    return _resource(dev, bar)[1]


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci.h:pci_resource_end", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def pci_resource_end(dev: PciDevice, bar: int) -> int:
    """Last byte of resource ``bar`` (start + len - 1; 0 when absent)."""
    start, length, _ = _resource(dev, bar)
    return start + length - 1 if length else 0


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/bus.c:pci_bus_address", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_bus_address(dev: PciDevice, bar: int) -> int:
    """Bus address of a BAR: the CPU address minus the host bridge's window offset."""
    start = pci_resource_start(dev, bar)
    hb = dev.host_bridge if dev.host_bridge is not None else getattr(pci_physfn(dev), "host_bridge", None)
    return start - (hb.mem_offset if hb is not None else 0)
