"""drivers/pci/pci.h as in Linux 6.19: the BAR index test."""
from __future__ import annotations

from dmabuf_lab.pci.pci import PCI_STD_NUM_BARS
from dmabuf_lab.twins import mirrors


_GAP = ("pci.c was not read at this commit (the lab's newest mainline tree); the bodies follow a "
        "stored copy of these helpers, whose shape is the same for many releases (inferred)")


_REVS = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


#: PCI_NUM_RESOURCES would also count the ROM and bridge windows; the lab's BARs are 0..5.
_NR_BARS = PCI_STD_NUM_BARS


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/pci.h:pci_bar_index_is_valid", gap=_GAP, revisions=_REVS)
def pci_bar_index_is_valid(bar: int) -> bool:
    """A resource index the PCI core knows (the lab's model: a standard BAR)."""
    return 0 <= bar < _NR_BARS
