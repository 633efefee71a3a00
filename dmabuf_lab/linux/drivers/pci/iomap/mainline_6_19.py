"""pci_iomap(): a kernel virtual mapping of a BAR for CPU access (its cookie only).

The lab does not model CPU MMIO; the cookie records which window was mapped.
A BAR with no length (or no memory resource) gives NULL, as in the C.
"""
from __future__ import annotations

from dataclasses import dataclass

from dmabuf_lab.pci.pci import pci_resource_len, pci_resource_start
from dmabuf_lab.twins import mirrors

_PIN = "torvalds/linux@0b9828c7231e:drivers/pci/iomap.c"
_GAP = ("iomap.c was not read at this commit (the lab's newest mainline tree); only the NULL result "
        "for an empty BAR and the mapped window are modelled")
_REVS = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


@dataclass(eq=False)
class iomem_cookie:
    """What pci_iomap() returns: the start and length of the window it maps."""

    start: int
    len: int


@mirrors(f"{_PIN}:pci_iomap", gap=_GAP, revisions=_REVS)
def pci_iomap(pdev, bar: int, maxlen: int):
    """Map BAR ``bar`` (``maxlen`` 0: all of it); None when the BAR is empty."""
    start, length = pci_resource_start(pdev, bar), pci_resource_len(pdev, bar)
    if not start or not length:
        return None
    if maxlen and maxlen < length:
        length = maxlen
    return iomem_cookie(start, length)


@mirrors(f"{_PIN}:pci_iounmap", gap=_GAP, revisions=_REVS)
def pci_iounmap(pdev, addr) -> None:
    """Undo pci_iomap() (nothing the lab tracks)."""
