"""drivers/vfio/pci/vfio_pci_dmabuf.c under the get_pfn RFC: pin, unpin and get_pfn over the 6.19 exporter."""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SHIFT
from dmabuf_lab.kmodel import EINVAL, ENODEV, dma_resv_assert_held
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_release
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.get_pfn import dma_buf_ops_pfn
from dmabuf_lab.twins import mirrors


@mirrors("posting:get-pfn-rfc#2/12:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_pin")
def vfio_pci_dma_buf_pin(attachment) -> int:
    """Always refused: the buffer must stay revocable through move_notify."""
    return -EINVAL


@mirrors("posting:get-pfn-rfc#2/12:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_unpin")
def vfio_pci_dma_buf_unpin(attachment) -> None:
    """Nothing to undo."""


@mirrors("posting:get-pfn-rfc#2/12:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_get_pfn")
def vfio_pci_dma_buf_get_pfn(attachment, pgoff: int) -> tuple[int, int, int]:
    """PFN of page ``pgoff`` of the buffer: walk the ranges, add the offset; order 0."""
    priv = attachment.dmabuf.priv
    offset = pgoff << PAGE_SHIFT
    dma_resv_assert_held(priv.dmabuf.resv)
    if priv.revoked:
        return -ENODEV, 0, 0
    if offset >= priv.dmabuf.size:
        return -EINVAL, 0, 0
    i = 0
    while i < priv.nr_ranges:
        if offset < priv.phys_vec[i].len:
            break
        offset -= priv.phys_vec[i].len
        i += 1
    pfn = (int(priv.phys_vec[i].paddr) + offset) >> PAGE_SHIFT
    return 0, pfn, 0            # large page mapping "is yet to be supported"


vfio_pci_dmabuf_pfn_ops = dma_buf_ops_pfn(pin=vfio_pci_dma_buf_pin, unpin=vfio_pci_dma_buf_unpin,
                                          get_pfn=vfio_pci_dma_buf_get_pfn,
                                          release=vfio_pci_dma_buf_release,
                                          name="vfio_pci_dmabuf_ops (get_pfn RFC)")
