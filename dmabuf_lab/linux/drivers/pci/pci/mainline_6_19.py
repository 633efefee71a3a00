"""PCI region requests: a driver claims a BAR's window in the iomem tree before it uses it.

``pci_request_selected_regions()`` claims the windows of the BARs in a mask
(all or nothing: on the first busy one it gives back those it took and
returns -EBUSY); ``pci_release_selected_regions()`` gives them back.  The
claims live in :mod:`dmabuf_lab.kmodel.resource`, whose owner is the PCI
function whose driver asked.  Only memory BARs exist in the lab's PCI model,
so the I/O-port branch is not modelled.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import EBUSY, EINVAL
from dmabuf_lab.kmodel.resource import release_mem_region, request_mem_region
from dmabuf_lab.pci.pci import PCI_STD_NUM_BARS, pci_resource_len, pci_resource_start
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.pci.pci_h.mainline_6_19 import pci_bar_index_is_valid, _GAP, _NR_BARS, _REVS  # noqa: F401

_PIN = "torvalds/linux@0b9828c7231e:drivers/pci/pci.c"


@mirrors(f"{_PIN}:__pci_request_region", gap=_GAP, revisions=_REVS)
def __pci_request_region(pdev, bar: int, name: str, exclusive: int) -> int:
    """Claim one BAR's window for ``pdev``'s driver: 0 (also for an empty BAR), -EBUSY
    when another claim overlaps it, -EINVAL for a bad index."""
    if not pci_bar_index_is_valid(bar):
        return -EINVAL
    if pci_resource_len(pdev, bar) == 0:
        return 0
    if request_mem_region(pci_resource_start(pdev, bar), pci_resource_len(pdev, bar), name, pdev) is None:
        return -EBUSY                       # pci_warn(): "BAR %d: can't reserve %pR"
    return 0


@mirrors(f"{_PIN}:pci_release_region", gap=_GAP, revisions=_REVS)
def pci_release_region(pdev, bar: int) -> None:
    """Give back one BAR's window (nothing for an empty BAR or a bad index)."""
    if not pci_bar_index_is_valid(bar):
        return
    if pci_resource_len(pdev, bar) == 0:
        return
    release_mem_region(pci_resource_start(pdev, bar), pci_resource_len(pdev, bar))


@mirrors(f"{_PIN}:pci_release_selected_regions", gap=_GAP, revisions=_REVS)
def pci_release_selected_regions(pdev, bars: int) -> None:
    """Give back the windows of every BAR in the mask ``bars``."""
    for i in range(PCI_STD_NUM_BARS):
        if bars & (1 << i):
            pci_release_region(pdev, i)


@mirrors(f"{_PIN}:__pci_request_selected_regions", gap=_GAP, revisions=_REVS)
def __pci_request_selected_regions(pdev, bars: int, name: str, excl: int) -> int:
    """Claim every BAR in ``bars``; on the first failure give back the ones already
    claimed and return -EBUSY."""
    i = 0
    while i < PCI_STD_NUM_BARS:
        if bars & (1 << i):
            if __pci_request_region(pdev, i, name, excl):
                break
        i += 1
    else:
        return 0
    i -= 1
    while i >= 0:
        if bars & (1 << i):
            pci_release_region(pdev, i)
        i -= 1
    return -EBUSY


@mirrors(f"{_PIN}:pci_request_selected_regions", gap=_GAP, revisions=_REVS)
def pci_request_selected_regions(pdev, bars: int, name: str) -> int:
    """The non-exclusive claim of the BARs in ``bars``."""
    return __pci_request_selected_regions(pdev, bars, name, 0)
