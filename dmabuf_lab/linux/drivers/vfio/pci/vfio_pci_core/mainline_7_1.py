"""vfio_pci_core.c in Linux 7.1: BARs claimed at open, dma-bufs cleaned up before disable.

A patch over :mod:`.mainline_6_19`:

* 05f2a68b407a "vfio/pci: Set up BAR resources and maps in
  vfio_pci_core_enable()" (Matt Evans): enable claims and maps every BAR
  with a length (:func:`vfio_pci_core_map_bars`); a BAR whose window is
  busy or cannot be mapped keeps an ERR_PTR in ``barmap[bar]``, which the
  export's check (702809dabdec) turns into -ENODEV.  Disable skips those.
* d97708701434 "vfio/pci: Clean up DMABUFs before disabling function"
  (Matt Evans, CVE-2026-53322): close revokes the dma-bufs (and, with the
  7.1 revoke, waits for the importers' unmaps) before disable gives the
  windows back and turns decoding off.
"""
from __future__ import annotations

from typing import Callable

from dmabuf_lab.kmodel import EBUSY, ENODEV, ENOMEM, ERR_PTR, IS_ERR_OR_NULL
from dmabuf_lab.linux.drivers.pci.iomap.mainline_6_19 import pci_iomap, pci_iounmap
from dmabuf_lab.linux.drivers.pci.pci.mainline_6_19 import (pci_release_selected_regions,
                                                           pci_request_selected_regions)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.mainline_6_19 import PCI_STD_RESOURCES
from dmabuf_lab.pci.pci import PCI_STD_NUM_BARS, pci_resource_len
from dmabuf_lab.twins import mirrors

_PIN = "gregkh/linux@1129c0011b90:drivers/vfio/pci/vfio_pci_core.c"
_GAP = "a gregkh copy after the 7.1 tag carrying 05f2a68b407a and d97708701434; no copy at v7.1 is stored"
#: close and disable also serve 6.19's ``close-order`` fix (d97708701434's order)
_CLOSE_REVS = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")
#: no later change to enable is known: 7.2 and v7.3-rc6 run it as 7.1
_REVS = ("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


@mirrors(f"{_PIN}:vfio_pci_core_map_bars", gap=_GAP, revisions=_REVS)
def vfio_pci_core_map_bars(vdev) -> None:
    """Claim and map every BAR with a length; failures are soft: ERR_PTR(-ENODEV)
    for an empty BAR, -EBUSY when the window is busy, -ENOMEM when the mapping
    fails (the claim is given back)."""
    pdev = vdev.pdev
    for i in range(PCI_STD_NUM_BARS):
        bar = i + PCI_STD_RESOURCES
        vdev.barmap[bar] = ERR_PTR(-ENODEV)
        if not pci_resource_len(pdev, i):
            continue
        if pci_request_selected_regions(pdev, 1 << bar, "vfio"):
            vdev.barmap[bar] = ERR_PTR(-EBUSY)      # pci_dbg(): failed to reserve
            continue
        vdev.barmap[bar] = pci_iomap(pdev, bar, 0)
        if not vdev.barmap[bar]:
            pci_release_selected_regions(pdev, 1 << bar)
            vdev.barmap[bar] = ERR_PTR(-ENOMEM)


@mirrors(f"{_PIN}:vfio_pci_core_enable", gap=_GAP, revisions=_REVS)
def vfio_pci_core_enable(vdev) -> int:
    """6.19's enable (memory decoding on), then every BAR claimed and mapped."""
    vdev.memory_enabled = True
    vfio_pci_core_map_bars(vdev)
    return 0


@mirrors(f"{_PIN}:vfio_pci_core_disable", gap=_GAP, revisions=_CLOSE_REVS)
def vfio_pci_core_disable(vdev) -> None:
    """6.19's disable, skipping the BARs whose set-up at enable failed (an ERR_PTR)."""
    pdev = vdev.pdev
    for i in range(PCI_STD_NUM_BARS):
        bar = i + PCI_STD_RESOURCES
        if IS_ERR_OR_NULL(vdev.barmap.get(bar)):
            continue
        pci_iounmap(pdev, vdev.barmap[bar])
        pci_release_selected_regions(pdev, 1 << bar)
        vdev.barmap[bar] = None
    vdev.memory_enabled = False


@mirrors(f"{_PIN}:vfio_pci_core_close_device", gap=_GAP, revisions=_CLOSE_REVS)
def vfio_pci_core_close_device(vdev, cleanup: Callable) -> None:
    """d97708701434's order: clean up (revoke) the dma-bufs, then disable the function."""
    cleanup(vdev)
    vfio_pci_core_disable(vdev)
