"""Opening, disabling and closing a vfio-pci device in Linux 6.19.

Only what a dma-buf importer can see is modelled: whether the function
decodes its memory BARs (PCI_COMMAND_MEMORY) and which BAR windows vfio has
claimed in the iomem tree.

* ``vfio_pci_core_enable()`` enables the function and claims no BAR: a BAR
  is claimed and mapped the first time user space reads, writes or mmaps it
  (:func:`~dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_rdwr.mainline_6_19.vfio_pci_core_setup_barmap`).
* ``vfio_pci_core_disable()`` gives back every BAR window it claimed and
  then rewrites PCI_COMMAND without the memory bit (before resetting and
  disabling the function).
* ``vfio_pci_core_close_device()`` calls disable and only then the dma-buf
  cleanup (the order 5d74781ebc86 gave it), so a buffer an importer still
  maps points at a window vfio no longer owns and a function that no longer
  decodes it.
"""
from __future__ import annotations

from typing import Callable

from dmabuf_lab.linux.drivers.pci.iomap.mainline_6_19 import pci_iounmap
from dmabuf_lab.linux.drivers.pci.pci.mainline_6_19 import pci_release_selected_regions
from dmabuf_lab.pci.pci import PCI_STD_NUM_BARS
from dmabuf_lab.twins import mirrors

_PIN = "torvalds/linux@5d74781ebc86:drivers/vfio/pci/vfio_pci_core.c"
_GAP = ("5d74781ebc86 (the export, which added the cleanup call after the disable) was read as its "
        "posted diff; the enable and disable bodies around it were read at the older stored "
        "torvalds/linux 0886196ca881, whose BAR release loop is the one 05f2a68b407a changes; no "
        "stored copy at v6.19")
_REVS = ("mainline-6.19",)

#: PCI_STD_RESOURCES: the first standard BAR's resource index.
PCI_STD_RESOURCES = 0


@mirrors(f"{_PIN}:vfio_pci_core_enable", gap=_GAP, revisions=_REVS)
def vfio_pci_core_enable(vdev) -> int:
    """pci_enable_device(): memory decoding on.  No BAR window is claimed here."""
    vdev.memory_enabled = True
    return 0


@mirrors(f"{_PIN}:vfio_pci_core_disable", gap=_GAP, revisions=_REVS)
def vfio_pci_core_disable(vdev) -> None:
    """Give back every BAR window that was set up, then turn memory decoding off
    (the PCI_COMMAND write before the reset; pci_disable_device())."""
    pdev = vdev.pdev
    for i in range(PCI_STD_NUM_BARS):
        bar = i + PCI_STD_RESOURCES
        if not vdev.barmap.get(bar):
            continue
        pci_iounmap(pdev, vdev.barmap[bar])
        pci_release_selected_regions(pdev, 1 << bar)
        vdev.barmap[bar] = None
    vdev.memory_enabled = False


@mirrors(f"{_PIN}:vfio_pci_core_close_device", gap=_GAP, revisions=_REVS)
def vfio_pci_core_close_device(vdev, cleanup: Callable) -> None:
    """6.19's order: disable the function, then clean up (revoke) the dma-bufs."""
    vfio_pci_core_disable(vdev)
    cleanup(vdev)
