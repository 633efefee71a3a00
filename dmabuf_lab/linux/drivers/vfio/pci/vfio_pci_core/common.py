"""Closing a vfio-pci device: which comes first, turning the function off or the dma-buf cleanup.

``vfio_pci_core_close_device()`` does both.  As merged with the dma-buf
export (5d74781ebc86, Linux 6.19) it first calls ``vfio_pci_core_disable()``,
which among much else rewrites PCI_COMMAND without the memory-space bit and
disables the device, and only then ``vfio_pci_dma_buf_cleanup()``, which
revokes the buffers; in 6.19 that revoke does not wait either.  So an
importer that still holds a mapping can send DMA to a function whose
decoding is already off.  Matt Evans' "vfio/pci: Clean up DMABUFs before
disabling function" (d97708701434) swaps the two calls; the copy of
vfio_pci_core.c the lab read for 7.x has the swapped order.

Only what dma-buf can see of ``vfio_pci_core_disable()`` is modelled: the
memory-space bit goes off.  Interrupts, regions, the reset and runtime PM
are not.
"""
from __future__ import annotations

from typing import Callable

from dmabuf_lab.twins import mirrors

_CORE_619 = "torvalds/linux@5d74781ebc86:drivers/vfio/pci/vfio_pci_core.c"
_CORE_7X = "gregkh/linux@1129c0011b90:drivers/vfio/pci/vfio_pci_core.c"
_GAP_7X = ("gregkh/linux 2519003dd5fb (the vfio tree the 7.3 model reads) has no stored "
           "vfio_pci_core.c; read at the later gregkh copy 1129c0011b90, which carries d97708701434")


@mirrors(f"{_CORE_7X}:vfio_pci_core_disable")
def vfio_pci_core_disable(vdev) -> None:
    """Turn the function off; what a dma-buf importer can notice is that the
    BAR stops decoding (PCI_COMMAND loses PCI_COMMAND_MEMORY)."""
    vdev.memory_enabled = False


@mirrors(f"{_CORE_619}:vfio_pci_core_close_device",
         gap="5d74781ebc86 is the commit that added the cleanup call; 6.19 keeps its order")
def vfio_pci_core_close_device_619(vdev, cleanup: Callable) -> None:
    """6.19 order: disable the function, then clean up (revoke) the dma-bufs."""
    vfio_pci_core_disable(vdev)
    cleanup(vdev)


@mirrors(f"{_CORE_7X}:vfio_pci_core_close_device", gap=_GAP_7X)
def vfio_pci_core_close_device(vdev, cleanup: Callable) -> None:
    """d97708701434's order: clean up (revoke and wait) first, then disable the function."""
    cleanup(vdev)
    vfio_pci_core_disable(vdev)
