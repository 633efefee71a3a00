"""pages.c in Linux 7.1: the dma-buf branch of ``iopt_release_pages()``.

8c5f9645c389 "iommufd: Add dma_buf_pin()" made iommufd pin the attachment
at map time (under the reservation lock) and unpin it on release.  The
release path calls ``dma_buf_unpin()`` without that lock, so the
``dma_resv_assert_held()`` inside it fires on every release of dma-buf
backed pages (the kmodel ``lock`` checker reports it).  The lab's fix for
bug ``iommufd-unpin-lock`` takes the lock around the unpin, as e745cd2c749e
does in 7.2 (:mod:`.mainline_7_2`).
"""
from __future__ import annotations

from dmabuf_lab.core.dma_buf_7_3 import dma_buf_detach, dma_buf_unpin
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.twins import mirrors

#: What the 7.1 pin rests on: the posted diff of 8c5f9645c389, not a stored tree at v7.1.
GAP_7_1 = ("the release path's dma-buf branch as the posted diff of 8c5f9645c389 adds the unpin; "
           "pages.c was not read in a stored tree at v7.1")


@mirrors("torvalds/linux@8c5f9645c389:drivers/iommu/iommufd/pages.c:iopt_release_pages", gap=GAP_7_1,
         revisions=("mainline-7.1",))
def iopt_release_pages(pages) -> None:
    """Drop the dma-buf attachment of ``pages`` (its ``attachment`` / ``dmabuf``):
    unpin when pinned, then detach; 7.1 unpins without the reservation lock."""
    attach = pages.attachment
    if attach is None:
        return
    dmabuf = attach.dmabuf
    if pages.pinned:
        if fixed("iommufd-unpin-lock"):
            dma_resv_lock(dmabuf.resv)
            dma_buf_unpin(attach)
            dma_resv_unlock(dmabuf.resv)
        else:
            dma_buf_unpin(attach)
        pages.pinned = False
    dma_buf_detach(dmabuf, attach)
