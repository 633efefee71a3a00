"""vfio_pci_core_setup_barmap() after 05f2a68b407a: only a check.

"vfio/pci: Set up BAR resources and maps in vfio_pci_core_enable()" (Matt
Evans, 7.1-rc) claims and maps every BAR when the device is opened
(:func:`~dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.mainline_7_1.vfio_pci_core_map_bars`)
and leaves an ERR_PTR in ``barmap[bar]`` where that failed; the helper now
only reports that error.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import IS_ERR, PTR_ERR
from dmabuf_lab.twins import mirrors


@mirrors("gregkh/linux@1129c0011b90:drivers/vfio/pci/vfio_pci_rdwr.c:vfio_pci_core_setup_barmap",
         gap="a gregkh copy after the 7.1 tag that carries 05f2a68b407a; no copy at v7.1 is stored")
def vfio_pci_core_setup_barmap(vdev, bar: int) -> int:
    """The error enable left for this BAR, else 0."""
    io = vdev.barmap.get(bar)
    if IS_ERR(io):
        return PTR_ERR(io)
    return 0
