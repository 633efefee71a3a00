"""The iommufd driver under the March 2026 mapping-types branch.

The branch's ``drivers/iommu/iommufd/pages.c`` (jgunthorpe/linux
12e7f38a26d8; the exact 2026-03-01 state is not proven by it) differs from
the RFC's PAL importer (:mod:`dmabuf_lab.drivers.iommufd.mapping_types_2026_02`)
on the map and release paths; its revoke notification is the RFC's:

* ``iopt_map_dmabuf()`` pins the buffer (``dma_buf_pin()``, 8c5f9645c389)
  under the reservation lock before ``dma_buf_pal_map_phys()``, and unpins
  when that fails;
* a list of several ranges is accepted: ``pfn_reader_fill_dmabuf()`` walks
  every entry (the RFC's "single range exporters" -EINVAL is gone);
* ``iopt_release_pages()`` gives back a list still held under the
  reservation lock, drops the lock, and only then calls ``dma_buf_unpin()``,
  which asserts that lock (bug ``iommufd-unpin-lock``; fixed: the unpin
  inside the lock, the shape of mainline's e745cd2c749e).

Not modelled: when the pin fails the C overwrites its error with
``PTR_ERR(pages->dmabuf.exp_phys)`` of a list not taken yet (0), so the
failure is lost; no exporter of these revisions has a pin that can fail.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_pin, dma_buf_unpin
from dmabuf_lab.drivers.dma_access import dma_token, mapping_returned
from dmabuf_lab.drivers.iommufd.mapping_types_2026_02 import IommufdPalImporter
from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, KernelError, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import dma_buf_pal_map_phys
from dmabuf_lab.twins import mirrors

_PAGES_BRANCH = "jgunthorpe/linux@12e7f38a26d8:drivers/iommu/iommufd/pages.c"
_GAP = "the branch as stored, not proven to be its 2026-03-01 state"


class IommufdBranchImporter(IommufdPalImporter):
    """The RFC's PAL importer with the branch's pin, range walk and release order."""

    def __init__(self, session):
        super().__init__(session)
        self.pinned = False

    @mirrors(f"{_PAGES_BRANCH}:iopt_map_dmabuf", gap=_GAP, revisions=("mapping-types-2026-03",))
    def map(self) -> None:
        """Under the reservation lock: pin, then take the PAL list (any number of
        ranges); a failed map_phys unpins again."""
        dma_resv_lock(self.dmabuf.resv)
        try:
            if not self.pinned:
                rc = dma_buf_pin(self.attachment)
                if rc:
                    raise KernelError(rc, "iommufd: dma_buf_pin")
                self.pinned = True
            phys = dma_buf_pal_map_phys(self.attachment)
            if IS_ERR(phys):
                dma_buf_unpin(self.attachment)          # err_unpin
                self.pinned = False
                raise KernelError(PTR_ERR(phys), "iommufd: dma_buf_pal_map_phys")
            mapping_returned(self.s, "dma_buf_pal_map_phys")
            self.exp_phys = phys
            self.phys_len = sum(phys.phys[i].len for i in range(phys.length))
            self.token = dma_token(self.s)
            self.revoked = False
            self.mapped = True
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    @mirrors(f"{_PAGES_BRANCH}:iopt_release_pages", gap=_GAP, revisions=("mapping-types-2026-03",))
    def detach(self) -> None:
        """The end of iopt_release_pages(): unpin, then detach.  As stored the
        unpin runs after the reservation lock was dropped; fixed, inside it."""
        if self.pinned:
            if fixed("iommufd-unpin-lock"):
                dma_resv_lock(self.dmabuf.resv)
                dma_buf_unpin(self.attachment)
                dma_resv_unlock(self.dmabuf.resv)
            else:
                dma_buf_unpin(self.attachment)
            self.pinned = False
        super().detach()


def make_importer(session):
    return IommufdBranchImporter(session)
