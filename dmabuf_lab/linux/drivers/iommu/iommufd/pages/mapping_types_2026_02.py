"""drivers/iommu/iommufd/pages.c in the 2026-02 mapping-types RFC and its branch: the PAL importer's revoke notification; the adapter stands for struct iopt_pages (self)."""
from __future__ import annotations

from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_pal_unmap_phys
from dmabuf_lab.twins import mirrors


#: The branch's pages.c; the RFC's patch 23/26 has the same two functions.
_PAGES_BRANCH = "jgunthorpe/linux@12e7f38a26d8:drivers/iommu/iommufd/pages.c"


_GAP_RFC = ("also the RFC's form: '[PATCH RFC 23/26] iommufd: Use the PAL mapping type instead of a "
            "vfio function' (2026-02-17) adds the same dma_buf_pal_unmap_phys() calls")


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
