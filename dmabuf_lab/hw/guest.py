"""A KVM guest's physical address space: memslots from guest-physical to host-physical.

When a device is passed through with VFIO, the guest's RAM is mapped into the
device's IOMMU domain at IOVA = guest-physical address, and the device's BARs
appear in the guest at addresses the VMM chooses (an MMIO memslot backed by
the host BAR).  ``gpa_to_hpa()`` answers "which host address is behind this
guest address", the question KVM asks when it builds its own page tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.hw.iommu import IOMMU_READ, IOMMU_WRITE, IommuDomain
from dmabuf_lab.pci.pci import PciDevice


@dataclass(frozen=True)
class Memslot:
    """``[gpa, gpa+size)`` of the guest backed by host ``[hpa, hpa+size)``."""

    gpa: int
    size: int
    hpa: int
    kind: str = "ram"             # "ram" or "mmio" (a passed-through BAR)
    device: str | None = None     # bdf of the BAR's device for "mmio"
    bar: int | None = None


@dataclass
class KvmGuest:
    """One virtual machine: its memslots and the host devices assigned to it."""

    name: str
    memslots: list = field(default_factory=list)
    assigned: list = field(default_factory=list)

    def add_memslot(self, slot: Memslot) -> Memslot:
        """Add a memslot; overlapping guest ranges are a TopologyError."""
        for s in self.memslots:
            if s.gpa < slot.gpa + slot.size and slot.gpa < s.gpa + s.size:
                raise TopologyError(f"guest {self.name}: memslot at GPA {slot.gpa:#x} overlaps the one at "
                                    f"{s.gpa:#x}", field="memslots")
        self.memslots.append(slot)
        self.memslots.sort(key=lambda s: s.gpa)
        return slot

    def add_ram(self, gpa: int, size: int, hpa: int) -> Memslot:
        """Back guest RAM ``[gpa, gpa+size)`` with host RAM at ``hpa``."""
        return self.add_memslot(Memslot(gpa, size, hpa))

    def assign(self, dev: PciDevice, bar_gpas: dict[int, int]) -> None:
        """Pass ``dev`` through, placing each listed BAR at its guest-physical address."""
        self.assigned.append(dev)
        for n, gpa in sorted(bar_gpas.items()):
            bar = dev.bars[n]
            self.add_memslot(Memslot(gpa, bar.size, bar.base, kind="mmio", device=dev.bdf, bar=n))

    def gpa_to_hpa(self, gpa: int) -> int | None:
        """Host physical address behind a guest-physical one; None when no memslot covers it."""
        for s in self.memslots:
            if s.gpa <= gpa < s.gpa + s.size:
                return s.hpa + (gpa - s.gpa)
        return None

    def map_ram(self, domain: IommuDomain) -> int:
        """Map every RAM memslot into ``domain`` at IOVA = GPA, as VFIO does for a guest: 0 or -errno."""
        for s in self.memslots:
            if s.kind != "ram":
                continue
            ret = domain.map(s.gpa, s.hpa, s.size, IOMMU_READ | IOMMU_WRITE)
            if ret:
                return ret
        return 0

    @property
    def ram_size(self) -> int:
        """Bytes of guest RAM."""
        return sum(s.size for s in self.memslots if s.kind == "ram")
