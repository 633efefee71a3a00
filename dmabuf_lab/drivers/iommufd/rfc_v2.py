"""iommufd under rfc-v2 (R4): the vfio -> iommufd private bridge of that time.

Seed 001: iommufd wants ``struct mapping {provider, nelms, phys_vec}``, which
the v2 interconnects do not offer; it attaches dynamically to its global
device (``allow_peer2peer``, ``move_notify``) and reads vfio's single
physical range through ``vfio_pci_dma_buf_iommufd_map()`` (-EOPNOTSUPP for
any other exporter or more than one range, -ENODEV when revoked).  Holds
``phys``.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, check_ret, device
from dmabuf_lab.drivers.vfio_pci.rfc_v2 import vfio_pci_dma_buf_iommufd_map
from dmabuf_lab.drivers.vfio_pci_dmabuf import phys_vec
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import rfc_v2 as v2
from dmabuf_lab.revisions.base import ImporterDriver


class IommufdV2Importer(ImporterDriver):
    name = "iommufd"

    def __init__(self, session):
        super().__init__(session)
        self.dev = device("iommufd")
        self.dmabuf = None
        self.attachment = None
        self.phys = phys_vec()

    def iopt_revoke_notify(self, attach) -> None:
        self.s.log("iommufd: iopt_revoke_notify")
        self.mapped = False

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.iopt_revoke_notify,
                                 name="iopt_dmabuf_attach_revoke_ops")
        self.attachment = check_ptr(v2.dma_buf_dynamic_attach(dmabuf, self.dev, ops, self), "iommufd: attach")
        self.attached = True
        self.kind = "phys"

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            rc = vfio_pci_dma_buf_iommufd_map(self.attachment, self.phys)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        check_ret(rc, "iommufd: vfio_pci_dma_buf_iommufd_map")
        self.mapped = True

    def unmap(self) -> None:
        self.mapped = False

    def detach(self) -> None:
        if self.attached:
            v2.dma_buf_detach(self.dmabuf, self.attachment)
            self.attached = False


def make_importer(session):
    return IommufdV2Importer(session)
