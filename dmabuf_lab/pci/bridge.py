"""Host bridges, root ports and switch ports: the shape of a PCIe hierarchy.

A ``HostBridge`` (``struct pci_host_bridge``) owns one root bus of a PCI
domain; the functions on that bus (the host bridge function at 00.0, root
ports, root-complex endpoints) have no upstream bridge.  Root ports and switch
ports are ``PciDevice`` objects with a secondary/subordinate bus range and ACS
bits; the builders here only fill in the right ``pcie_type`` and class code.
"""
from __future__ import annotations

from dmabuf_lab.pci.pci import PciDevice
from dmabuf_lab.twins import mirrors

# ACS capability / control bits (include/uapi/linux/pci_regs.h)
PCI_ACS_SV = 0x0001   # source validation
PCI_ACS_TB = 0x0002   # translation blocking
PCI_ACS_RR = 0x0004   # P2P request redirect
PCI_ACS_CR = 0x0008   # P2P completion redirect
PCI_ACS_UF = 0x0010   # upstream forwarding
PCI_ACS_EC = 0x0020   # P2P egress control
PCI_ACS_DT = 0x0040   # direct translated P2P

ACS_ALL_CAPS = PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF | PCI_ACS_EC | PCI_ACS_DT
# what pci_std_enable_acs() turns on for a port when an IOMMU is in use
ACS_IOMMU_DEFAULT = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF

ACS_NAMES = (("SrcValid", PCI_ACS_SV), ("TransBlk", PCI_ACS_TB), ("ReqRedir", PCI_ACS_RR),
             ("CmpltRedir", PCI_ACS_CR), ("UpstreamFwd", PCI_ACS_UF), ("EgressCtrl", PCI_ACS_EC),
             ("DirectTrans", PCI_ACS_DT))

CLASS_HOST_BRIDGE = 0x060000
CLASS_PCI_BRIDGE = 0x060400


def acs_text(bits: int) -> str:
    """lspci-style ACS bit list, e.g. ``SrcValid+ ReqRedir+``; ``-`` when none is set."""
    names = [n + "+" for n, b in ACS_NAMES if bits & b]
    return " ".join(names) if names else "-"


class HostBridge:
    """One host bridge: a PCI domain's root bus and the CPU->bus address offset of its window.

    ``mem_offset`` is what ``pci_bus_address()`` subtracts from a CPU address
    (0 on x86).  ``bus_range`` bounds every bus number below it.
    """

    def __init__(self, domain: int = 0, root_bus: int = 0, *, name: str = "",
                 bus_range: tuple[int, int] = (0, 0xFF), mem_offset: int = 0):
        self.domain = domain
        self.root_bus = root_bus
        self.name = name
        self.bus_range = bus_range
        self.mem_offset = mem_offset
        self.devices: list[PciDevice] = []   # functions on the root bus, in probe order
        # why the function P2P checks against the whitelist is not known (a capture that
        # does not show it); None when it is known
        self.unknown: str | None = None

    @property
    def label(self) -> str:
        """``DDDD:BB`` of the root bus, as ``lspci -t`` names it."""
        return f"{self.domain:04x}:{self.root_bus:02x}"

    def __repr__(self) -> str:
        return f"<HostBridge [{self.label}] {self.name!r}>"


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:pci_host_bridge_dev", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_host_bridge_dev(host: HostBridge) -> PciDevice | None:
    """The function a P2P whitelist looks at: the first one on the root bus when it is
    devfn 00.0 or a root port, else None (``pci_host_bridge_dev()`` in p2pdma.c)."""
    if not host.devices:
        return None
    root = host.devices[0]
    if root.devfn == 0 or root.pcie_type == "root_port":
        return root
    return None


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/host-bridge.c:pci_find_host_bridge", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_find_host_bridge(dev: PciDevice) -> HostBridge | None:
    """Host bridge above a function (``pci_find_host_bridge(dev->bus)``)."""
    while dev is not None:
        if dev.host_bridge is not None:
            return dev.host_bridge
        dev = dev.physfn if dev.is_virtfn else dev.parent
    return None


def host_bridge_function(bdf: str, vendor: int, device: int, name: str = "") -> PciDevice:
    """The host bridge's own PCI function (class 0600, usually 00.0)."""
    return PciDevice(bdf, vendor, device, class_code=CLASS_HOST_BRIDGE, name=name,
                     pcie_type="host_bridge")


def root_port(bdf: str, vendor: int, device: int, *, secondary: int, subordinate: int,
              name: str = "", acs_cap: int = ACS_ALL_CAPS, acs_ctrl: int = 0) -> PciDevice:
    """A PCIe root port leading to buses ``secondary..subordinate``."""
    return PciDevice(bdf, vendor, device, class_code=CLASS_PCI_BRIDGE, name=name,
                     pcie_type="root_port", secondary=secondary, subordinate=subordinate,
                     acs_cap=acs_cap, acs_ctrl=acs_ctrl)


def switch_upstream_port(bdf: str, vendor: int, device: int, *, secondary: int, subordinate: int,
                         name: str = "") -> PciDevice:
    """The upstream port of a PCIe switch (has no ACS of its own)."""
    return PciDevice(bdf, vendor, device, class_code=CLASS_PCI_BRIDGE, name=name,
                     pcie_type="upstream_port", secondary=secondary, subordinate=subordinate)


def switch_downstream_port(bdf: str, vendor: int, device: int, *, secondary: int,
                           subordinate: int | None = None, name: str = "",
                           acs_cap: int = ACS_ALL_CAPS, acs_ctrl: int = 0) -> PciDevice:
    """A downstream port of a PCIe switch leading to bus ``secondary``."""
    return PciDevice(bdf, vendor, device, class_code=CLASS_PCI_BRIDGE, name=name,
                     pcie_type="downstream_port", secondary=secondary,
                     subordinate=secondary if subordinate is None else subordinate,
                     acs_cap=acs_cap, acs_ctrl=acs_ctrl)
