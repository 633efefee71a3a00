"""vfio_pci_core_setup_barmap() as in 6.19: claim and map a BAR the first time it is used.

Until user space reads, writes or mmaps a BAR through the vfio device, vfio
has not requested its window: the first use calls this helper, which asks
for the region (``pci_request_selected_regions()``) and maps it, and caches
the mapping in ``vdev->barmap[bar]``.  The 6.19 dma-buf export does not call
it, so a BAR nobody touched (or whose window another driver holds) can be
exported all the same.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import ENOMEM
from dmabuf_lab.linux.drivers.pci.iomap.mainline_6_19 import pci_iomap
from dmabuf_lab.linux.drivers.pci.pci.mainline_6_19 import (pci_release_selected_regions,
                                                           pci_request_selected_regions)
from dmabuf_lab.twins import mirrors


@mirrors("torvalds/linux@0604aa87b098:drivers/vfio/pci/vfio_pci_rdwr.c:vfio_pci_setup_barmap",
         gap="read in an older stored tree under its earlier static name; exported as "
             "vfio_pci_core_setup_barmap() with the same body, which 05f2a68b407a replaced in 7.1 (list)",
         revisions=("mainline-6.19",))
def vfio_pci_core_setup_barmap(vdev, bar: int) -> int:
    """0 when the BAR is (now) claimed and mapped; the request's -EBUSY, or -ENOMEM
    when the mapping fails (the claim is given back)."""
    pdev = vdev.pdev
    if vdev.barmap.get(bar):
        return 0
    ret = pci_request_selected_regions(pdev, 1 << bar, "vfio")
    if ret:
        return ret
    io = pci_iomap(pdev, bar, 0)
    if not io:
        pci_release_selected_regions(pdev, 1 << bar)
        return -ENOMEM
    vdev.barmap[bar] = io
    return 0
