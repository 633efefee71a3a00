"""Where a scenario's drivers may sit: the devices each driver binds.

A dma-buf exporter or importer is a driver bound to a PCI endpoint.  The
PCI core binds bridges, root ports and switch ports to portdrv, so no
exporter or importer ever runs on one; and each driver binds only the
devices its ``pci_device_id`` table matches (mlx5 binds Mellanox network
functions, xe binds Intel display functions).  vfio-pci is the exception:
``driver_override`` binds it to any endpoint.

:func:`placement_problems` lists the combinations a real machine cannot
have.  The scenario loader refuses them unless the scenario declares itself
a construction (``construction = "why"``): a placement no machine has,
chosen on purpose to reach a code path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

PCI_BASE_CLASS_NETWORK = 0x02
PCI_BASE_CLASS_DISPLAY = 0x03
PCI_VENDOR_ID_INTEL = 0x8086


def _base_class(dev) -> int:
    return (int(getattr(dev, "class_code", 0)) >> 16) & 0xFF


@dataclass(frozen=True)
class Binding:
    """The devices one driver binds, in words and as a test on a PciDevice."""

    what: str
    binds: Callable[[object], bool]


#: Driver name (as scenarios spell it) -> the devices it binds.  A driver not
#: listed binds any endpoint.  ``system`` is the system dma-heap: no device.
BINDINGS = {
    "vfio-pci": Binding("any PCI endpoint (bound through driver_override)", lambda d: True),
    "xe": Binding("Intel display functions (vendor 0x8086, class 0x03xxxx) and their VFs",
                  lambda d: getattr(d, "vendor", 0) == PCI_VENDOR_ID_INTEL
                  and _base_class(d) == PCI_BASE_CLASS_DISPLAY),
    "rdma": Binding("network functions (class 0x02xxxx), as mlx5_core does",
                    lambda d: _base_class(d) == PCI_BASE_CLASS_NETWORK),
    "peer-gpu": Binding("display functions (class 0x03xxxx)",
                        lambda d: _base_class(d) == PCI_BASE_CLASS_DISPLAY),
    "legacy": Binding("any PCI endpoint", lambda d: True),
    "iommufd": Binding("any PCI endpoint (the device assigned to user space)", lambda d: True),
    "kvm": Binding("any PCI endpoint (the device assigned to the guest)", lambda d: True),
}


def _describe(dev) -> str:
    name = getattr(dev, "name", "") or ""
    return f"{dev.bdf}" + (f" ({name})" if name else "")


def placement_problem(driver: str, role: str, dev) -> Optional[str]:
    """Why ``driver`` cannot be the ``role`` on ``dev`` on a real machine (None when it can)."""
    if dev is None or driver == "system":
        return None
    if getattr(dev, "is_bridge", False) or getattr(dev, "pcie_type", "") == "host_bridge":
        kind = str(getattr(dev, "pcie_type", "bridge")).replace("_", " ")
        return (f"{role} device {_describe(dev)} is a {kind}: the PCI core binds bridges and "
                f"switch ports to portdrv, so no dma-buf {role} runs on one")
    binding = BINDINGS.get(driver)
    if binding is not None and not binding.binds(dev):
        return (f"{role} driver {driver!r} does not bind {_describe(dev)} "
                f"(class {int(getattr(dev, 'class_code', 0)):06x}, vendor "
                f"{int(getattr(dev, 'vendor', 0)):04x}); it binds {binding.what}")
    return None
