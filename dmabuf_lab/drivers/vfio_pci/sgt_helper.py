"""6.19's sg_table map and unmap as the later designs keep them.

A design that leaves vfio's ``vfio_pci_dma_buf_map`` / ``_unmap`` alone
inherits the merged core helper (dma_buf_phys_vec_to_sgt(),
dma_buf_free_sgt()) with its defects; the revision's ``sgt-helper`` bug,
when fixed, calls the corrected variant instead.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_map, vfio_pci_dma_buf_unmap
from dmabuf_lab.revisions.base import fixed


def _sgt_map(attach, direction):
    """``vfio_pci_dma_buf_map()``, faithful to the merged helper unless ``sgt-helper`` is fixed."""
    return vfio_pci_dma_buf_map(attach, direction, faithful=not fixed("sgt-helper"))


def _sgt_unmap(attach, sgt, direction) -> None:
    """``vfio_pci_dma_buf_unmap()``, likewise."""
    vfio_pci_dma_buf_unmap(attach, sgt, direction, faithful=not fixed("sgt-helper"))
