"""iommufd under RFC v1: unchanged; vfio's private phys bridge still serves it.

The RFC extends vfio's own ops table, so the 6.19 bridge's ops test still
recognises the buffer (:func:`dmabuf_lab.drivers.vfio_pci.rfc_v1.vfio_pci_dma_buf_iommufd_map`);
one range only, -ENODEV when revoked.  iommufd has no
``supports_interconnects`` (seed ``002_2eeb82b91fd257bf.txt``).
"""
from __future__ import annotations

from dmabuf_lab.drivers.common import check_ptr, check_ret
from dmabuf_lab.drivers.iommufd.mainline import IommufdImporter
from dmabuf_lab.drivers.vfio_pci.rfc_v1 import vfio_pci_dma_buf_iommufd_map
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions.rfc_v1 import dma_buf_dynamic_attach


class RfcV1IommufdImporter(IommufdImporter):
    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.iopt_revoke_notify,
                                 name="iopt_dmabuf_attach_revoke_ops")
        self.attachment = check_ptr(dma_buf_dynamic_attach(dmabuf, self.dev, ops, self), "iommufd: attach")
        self.attached = True
        self.kind = "phys"

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            rc = vfio_pci_dma_buf_iommufd_map(self.attachment, self.phys)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        check_ret(rc, "iommufd: vfio_pci_dma_buf_iommufd_map")
        self.revoked = False
        self.mapped = True


def make_importer(session):
    return RfcV1IommufdImporter(session)
