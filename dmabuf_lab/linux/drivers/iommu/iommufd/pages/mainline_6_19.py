"""drivers/iommu/iommufd/pages.c as in Linux 6.19: the revoke notification of an iopt_pages backed by a dma-buf; the iommufd adapter stands for struct iopt_pages (self)."""
from __future__ import annotations

from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.twins import mirrors


@mirrors("gregkh/linux@2519003dd5fb:drivers/iommu/iommufd/pages.c:iopt_revoke_notify", gap="in the tree of the vfio file read for 7.3; pages.c itself was not read at this commit", revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iopt_revoke_notify(self, attach) -> None:
    """move_notify: the exporter revoked; under pages->mutex unmap the IOVA
    range from every domain and mark the pages revoked (resv held)."""
    self.s.log("iommufd: iopt_revoke_notify")
    mutex_lock(self.pages_mutex)
    self.revoked = True
    self.mapped = False
    mutex_unlock(self.pages_mutex)
