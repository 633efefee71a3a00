"""iommufd converted to mapping types (RFC 2026-02): a PAL-only importer.

``iopt_map_dmabuf()`` attaches with ``[DMA_BUF_IMAPPING_PAL()]`` through
``dma_buf_mapping_attach()`` and, under the reservation lock, takes the list
with ``dma_buf_pal_map_phys()``; a list longer than one entry is refused
with -EINVAL ("for now only works with single range exporters") after
giving it back.  The vfio private bridge is gone.  The revoke notification
gives the list back at once (``dma_buf_pal_unmap_phys()``, RFC 23/26 and
the branch's pages.c); release gives back whatever is still held.

The iopt_pages side (``pages->mutex``, the revoked mark, DMA only while not
revoked) is mainline's :class:`~dmabuf_lab.drivers.iommufd.mainline_6_19.IommufdImporter`;
attach, map, unmap and the notification are what the RFC changes.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.drivers.dma_access import dma_token, mapping_returned
from dmabuf_lab.drivers.iommufd.mainline_6_19 import IommufdImporter
from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.kmodel import EINVAL, IS_ERR, PTR_ERR, KernelError, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import mapping_types_2026_02
from dmabuf_lab.twins import mirrors
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_IMAPPING_PAL, dma_buf_mapping_attach,
                                                        dma_buf_pal_map_phys, dma_buf_pal_unmap_phys,
                                                        mapping_kind, match_list)
from dmabuf_lab.twins import mirrors


#: The branch's pages.c; the RFC's patch 23/26 has the same two functions.
_PAGES_BRANCH = "jgunthorpe/linux@12e7f38a26d8:drivers/iommu/iommufd/pages.c"
_GAP_RFC = ("also the RFC's form: '[PATCH RFC 23/26] iommufd: Use the PAL mapping type instead of a "
            "vfio function' (2026-02-17) adds the same dma_buf_pal_unmap_phys() calls")


class IommufdPalImporter(IommufdImporter):
    core = mapping_types_2026_02
    vfio_pci_dma_buf_iommufd_map = None      # the RFC removes the private bridge

    def __init__(self, session):
        super().__init__(session)
        self.exp_phys = None
        self.phys_len = 0                     # pages->dmabuf.phys.len: 0 = revoked (or not yet mapped)

    @mirrors(f"{_PAGES_BRANCH}:iopt_revoke_notify", gap=_GAP_RFC, revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
    def iopt_revoke_notify(self, attach) -> None:
        """move_notify (resv held): under pages->mutex, unless the pages are already
        revoked (never mapped, or told before), unmap the domains, mark the pages
        revoked and give the PAL list back to the exporter (dma_buf_pal_unmap_phys)."""
        self.s.log("iommufd: iopt_revoke_notify")
        mutex_lock(self.pages_mutex)
        try:
            if self.phys_len == 0:            # iopt_dmabuf_revoked(): in 12e7f38a26d8, exp_phys == NULL
                return
            self.mapped = False               # iopt_area_unmap_domain_range() for every tracked domain
            self.phys_len = 0
            self.revoked = True
            dma_buf_pal_unmap_phys(attach, self.exp_phys)
            self.exp_phys = None
        finally:
            mutex_unlock(self.pages_mutex)

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.iopt_revoke_notify,
                                 name="iopt_dmabuf_attach_revoke_ops")
        pal_match = match_list(DMA_BUF_IMAPPING_PAL())
        self.attachment = check_ptr(dma_buf_mapping_attach(dmabuf, pal_match, len(pal_match), ops, self),
                                    "iommufd: dma_buf_mapping_attach")
        self.attached = True
        self.kind = mapping_kind(self.attachment)

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            phys = dma_buf_pal_map_phys(self.attachment)
            if IS_ERR(phys):
                raise KernelError(PTR_ERR(phys), "iommufd: dma_buf_pal_map_phys")
            mapping_returned(self.s, "dma_buf_pal_map_phys")
            n = phys.length
            if n != 1:
                dma_buf_pal_unmap_phys(self.attachment, phys)
                raise KernelError(-EINVAL, f"iommufd: {n} ranges; only single-range exporters work")
            # the new list replaces the pages' physical range: the revoked mark goes
            self.exp_phys = phys
            self.phys_len = phys.phys[0].len
            self.token = dma_token(self.s)
            self.revoked = False
            self.mapped = True
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    @mirrors(f"{_PAGES_BRANCH}:iopt_release_pages", gap=_GAP_RFC,
             revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
    def unmap(self) -> None:
        """iopt_release_pages(): under the reservation lock give back the list the
        pages still hold (a revoke already gave it back and cleared it)."""
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.exp_phys is not None:
                dma_buf_pal_unmap_phys(self.attachment, self.exp_phys)
                self.exp_phys = None
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.mapped = False


def make_importer(session):
    return IommufdPalImporter(session)
