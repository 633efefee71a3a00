"""pages.c in Linux 7.2: e745cd2c749e "iommufd: Take dma_resv lock before
dma_buf_unpin() in release path".

The unpin runs between ``dma_resv_lock()`` and ``dma_resv_unlock()``; the
detach stays outside, since ``dma_buf_detach()`` takes the lock itself.
Everything else in the file is as 7.1 (:mod:`.mainline_7_1`).
"""
from __future__ import annotations

from dmabuf_lab.core.dma_buf_7_3 import dma_buf_detach, dma_buf_unpin
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.twins import mirrors

#: What the 7.2 pin rests on: the posted diff of e745cd2c749e, not a stored tree at v7.2.
GAP_7_2 = ("the release path as the posted diff of e745cd2c749e leaves it; pages.c was not read "
           "in a stored tree at v7.2 or later")


@mirrors("torvalds/linux@e745cd2c749e:drivers/iommu/iommufd/pages.c:iopt_release_pages", gap=GAP_7_2,
         revisions=("mainline-7.2", "mainline-7.3-rc6"))
def iopt_release_pages(pages) -> None:
    """Drop the dma-buf attachment of ``pages``: unpin under the reservation lock, then detach."""
    attach = pages.attachment
    if attach is None:
        return
    dmabuf = attach.dmabuf
    if pages.pinned:
        dma_resv_lock(dmabuf.resv)
        dma_buf_unpin(attach)
        dma_resv_unlock(dmabuf.resv)
        pages.pinned = False
    dma_buf_detach(dmabuf, attach)
