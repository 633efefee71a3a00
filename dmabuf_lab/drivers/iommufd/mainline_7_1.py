"""iommufd under Linux 7.1: the IOAS steps over pages.c of 7.1.

``iopt_map_dmabuf()`` attaches with ``invalidate_mappings =
iopt_revoke_notify`` (ef246da8e63c) and pins under the reservation lock
(8c5f9645c389 "iommufd: Add dma_buf_pin()"; vfio has no pin op any more,
so the pin succeeds) before it asks vfio's bridge for the single range.
The release unpins without the reservation lock (bug
``iommufd-unpin-lock``, fixed by e745cd2c749e in 7.2) and still destroys
the pages mutex before the detach (f2d70dbd3dce, 7.2); the access pin path
still reaches GUP on dma-buf pages (5f3fc0ad9a41, 7.2).  See
:mod:`dmabuf_lab.linux.drivers.iommu.iommufd.pages.mainline_7_1`.
iommufd unmaps its IOVA synchronously inside the callback, so vfio's wait
for invalidation never waits on it.
"""
from __future__ import annotations

from dmabuf_lab.drivers.iommufd.pages_importer import PagesImporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common import vfio_pci_dma_buf_iommufd_map_7_3
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_7_1 as pages_7_1


class IommufdPages71(PagesImporter):
    pages_c = pages_7_1
    bridge = staticmethod(vfio_pci_dma_buf_iommufd_map_7_3)


def make_importer(session):
    return IommufdPages71(session)
