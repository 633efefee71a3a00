"""iommufd under the mapping-type review plan.

Steps 1 and 2: no importer sees PAL, so iommufd keeps mainline's path, a
dynamic attach plus vfio's private bridge (``phys``; the lab's reading of
the plan).  Step 3 (= posted): it attaches with ``[IOMMU_DOMAIN]`` and the
core maps the exporter's PAL into its domain (``iommu-domain``).  Christian
König's alternative: a Linux 7.3 attachment and
dma_buf_map_attachment_iommu(), which the exporter must implement
(-EOPNOTSUPP otherwise).  Every path unmaps inside its invalidation callback.
"""
from __future__ import annotations

from dmabuf_lab.core import dma_buf_7_3 as ml73
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, check_ret, device
from dmabuf_lab.drivers.iommufd.mainline_6_19 import IommufdImporter
from dmabuf_lab.drivers.resv_importer import ResvImporter
from dmabuf_lab.drivers.vfio_pci.mapping_types_2026_05 import vfio_pci_dma_buf_iommufd_map_review
from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, KernelError, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.revisions import mapping_types_2026_05 as review

IOVA = 0


class BridgeImporter(IommufdImporter):
    """Steps 1 and 2: mainline's attach and the private bridge."""

    vfio_pci_dma_buf_iommufd_map = staticmethod(vfio_pci_dma_buf_iommufd_map_review)


class DomainImporter(ResvImporter):
    """Step 3 and the dma_buf_map_attachment_iommu() alternative: the buffer lands in our domain."""

    name = "iommufd"

    def __init__(self, session):
        super().__init__(session)
        self.dev = device("iommufd")
        self.domain = review.iommu_domain()
        self.dmabuf = None
        self.attachment = None
        self.lst = None
        self.size = 0
        self.alternative = review.stage(session) == review.MAP_ATTACHMENT_IOMMU
        self.core = ml73 if self.alternative else mt

    def invalidate(self, attach) -> None:
        """The exporter revoked or moved the buffer (resv held): unmap from the domain now."""
        self.s.log("iommufd: iopt_revoke_notify")
        if self.mapped:
            self._drop()

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        if self.alternative:
            ops = dma_buf_attach_ops(allow_peer2peer=True, invalidate_mappings=self.invalidate,
                                     name="iopt_dmabuf_attach_revoke_ops")
            att = self.core.dma_buf_dynamic_attach(dmabuf, self.dev, ops, self)
        else:
            ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.invalidate,
                                     name="iopt_dmabuf_attach_revoke_ops")
            imp = [review.DMA_BUF_IMAPPING_IOMMU_DOMAIN(self.domain)]
            att = self.core.dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, self)
        self.attachment = check_ptr(att, "iommufd: attach")
        self.attached = True
        self.kind = "iommu-domain"

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.alternative:
                self.size = int(self.dmabuf.size)
                check_ret(review.dma_buf_map_attachment_iommu(self.attachment, self.domain, IOVA, 0, self.size),
                          "iommufd: dma_buf_map_attachment_iommu")
            else:
                lst = review.dma_buf_iommu_domain_map(self.attachment, IOVA)
                if IS_ERR(lst):
                    raise KernelError(PTR_ERR(lst), "iommufd: iommu_domain map")
                self.lst = lst
            self.mapped = True
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def _drop(self) -> None:
        if self.alternative:
            review.dma_buf_unmap_attachment_iommu(self.attachment, self.domain, IOVA, self.size)
        else:
            review.dma_buf_iommu_domain_unmap(self.attachment, IOVA, self.lst)
            self.lst = None
        self.mapped = False


def make_importer(session):
    if review.stage(session) in ("step1", "step2"):
        return BridgeImporter(session)
    return DomainImporter(session)
