"""iommufd under Linux 7.1: revocable dynamic attach, dma_buf_pin(), vfio's phys bridge.

``iopt_map_dmabuf()`` attaches with ``invalidate_mappings =
iopt_revoke_notify`` (ef246da8e63c), then under the reservation lock pins
the buffer (8c5f9645c389 "iommufd: Add dma_buf_pin()"; vfio has no pin op
any more, so this succeeds) and asks the bridge for the single range.
Release is :func:`iopt_release_pages` of the release (``release_pages``):
in 7.1 it unpins without the reservation lock (bug ``iommufd-unpin-lock``),
7.2 takes the lock (e745cd2c749e, :mod:`.mainline_7_2`), then detaches.  iommufd unmaps
its IOVA synchronously inside the callback, so vfio's wait for
invalidation never waits on it.
"""
from __future__ import annotations

from dmabuf_lab.core import dma_buf_7_3
from dmabuf_lab.core.dma_buf_7_3 import dma_buf_pin, dma_buf_unpin
from dmabuf_lab.drivers.common import check_ret
from dmabuf_lab.drivers.dma_access import dma_token, mapping_returned
from dmabuf_lab.drivers.iommufd.mainline_6_19 import IommufdImporter
from dmabuf_lab.drivers.vfio_pci_dmabuf_7_3 import vfio_pci_dma_buf_iommufd_map_7_3
from dmabuf_lab.kmodel import KernelError, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_7_1 as pages_7_1


class IommufdImporter73(IommufdImporter):
    core = dma_buf_7_3
    vfio_pci_dma_buf_iommufd_map = staticmethod(vfio_pci_dma_buf_iommufd_map_7_3)
    notify_member = "invalidate_mappings"
    #: the release path of pages.c in this release
    release_pages = staticmethod(pages_7_1.iopt_release_pages)

    def __init__(self, session):
        super().__init__(session)
        self.pinned = False

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            if not self.pinned:
                rc = dma_buf_pin(self.attachment)
                if rc:
                    raise KernelError(rc, "iommufd: dma_buf_pin")
                self.pinned = True
            rc = self.vfio_pci_dma_buf_iommufd_map(self.attachment, self.phys)
            if rc:
                dma_buf_unpin(self.attachment)
                self.pinned = False
            else:
                mapping_returned(self.s, "vfio_pci_dma_buf_iommufd_map")
                self.token = dma_token(self.s)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        check_ret(rc, "iommufd: vfio_pci_dma_buf_iommufd_map")
        self.revoked = False
        self.mapped = True

    def detach(self) -> None:
        if self.attached:
            self.release_pages(self)
            self.attached = False


def make_importer(session):
    return IommufdImporter73(session)
