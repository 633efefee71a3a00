"""pages.c in 7.1: iommufd pins the dma-buf (8c5f9645c389 "iommufd: Add
dma_buf_pin()", revoke series v7 8/8, Leon Romanovsky), and the callback is
the attach ops' ``invalidate_mappings`` (ef246da8e63c).

``iopt_map_dmabuf()`` pins under the reservation lock after the attach and
unpins on a failed bridge call; ``iopt_release_pages()`` unpins before the
detach without taking the reservation lock (the WARN e745cd2c749e removes)
and still destroys the pages content first (f2d70dbd3dce).  No stored
tree of 7.1 was read: the change is the posted patch applied to the 6.19
code read at 11cb9405ff85.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as core71
from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, WARN_ON, dma_resv_lock, dma_resv_unlock, kfree
from dmabuf_lab.kmodel.mm import mmdrop
from dmabuf_lab.kmodel.mutex import mutex_destroy, mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_6_19 as prev
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.common import iopt_is_dmabuf
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.mainline_6_19 import (  # noqa: F401  unchanged in 7.1
    iopt_alloc_pages, iopt_area_add_access, iopt_area_fill_domains, iopt_area_unfill_domains,
    iopt_dmabuf_track_all_domains, iopt_dmabuf_untrack_all_domains, iopt_revoke_notify,
    sym_vfio_pci_dma_buf_iommufd_map)
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.twins import mirrors

GAP = ("no 7.1 tree of pages.c read: 8c5f9645c389 as posted (revoke series v7 8/8) applied to the 6.19-era "
       "code read at this commit")
PAGES_C = prev.PAGES_C
MOVE_NOTIFY_MEMBER = "invalidate_mappings"


@mirrors(f"{PAGES_C}:iopt_map_dmabuf", gap=GAP, revisions=("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iopt_map_dmabuf(ictx, pages, dmabuf) -> int:
    """As 6.19, plus dma_buf_pin() under resv before the bridge; a failed bridge
    call unpins, then unlocks and detaches."""
    attach = core71.dma_buf_dynamic_attach(dmabuf, ictx.device, prev._attach_ops(MOVE_NOTIFY_MEMBER), pages)
    if IS_ERR(attach):
        return PTR_ERR(attach)
    dma_resv_lock(dmabuf.resv)
    mutex_lock(pages.mutex)
    mutex_unlock(pages.mutex)
    rc = core.dma_buf_pin(attach)
    if rc:
        dma_resv_unlock(dmabuf.resv)
        core.dma_buf_detach(dmabuf, attach)
        return rc
    rc = sym_vfio_pci_dma_buf_iommufd_map(ictx, attach, pages.dmabuf.phys)
    if rc:
        core.dma_buf_unpin(attach)
        dma_resv_unlock(dmabuf.resv)
        core.dma_buf_detach(dmabuf, attach)
        return rc
    dma_resv_unlock(dmabuf.resv)
    pages.dmabuf.attach = attach
    return 0


@mirrors(f"{PAGES_C}:iopt_release_pages", gap=GAP, revisions=("mainline-7.1",))
def iopt_release_pages(pages) -> None:
    """As 6.19 with dma_buf_unpin() before the detach, called without the reservation lock
    (variant ``fix-iommufd-unpin-lock``: under it, as 7.2 does)."""
    WARN_ON(bool(pages.access_itree), "iopt_release_pages: access_itree not empty")
    WARN_ON(bool(pages.domains_itree), "iopt_release_pages: domains_itree not empty")
    WARN_ON(pages.npinned != 0, "iopt_release_pages: pages still pinned")
    mmdrop(pages.source_mm)
    mutex_destroy(pages.mutex)
    if iopt_is_dmabuf(pages) and pages.dmabuf.attach is not None:
        dmabuf = pages.dmabuf.attach.dmabuf
        if fixed("iommufd-unpin-lock"):        # the lab's variant: e745cd2c749e's lock around the unpin
            dma_resv_lock(dmabuf.resv)
            core.dma_buf_unpin(pages.dmabuf.attach)
            dma_resv_unlock(dmabuf.resv)
        else:
            core.dma_buf_unpin(pages.dmabuf.attach)
        core.dma_buf_detach(dmabuf, pages.dmabuf.attach)
        core.dma_buf_put(dmabuf)
        WARN_ON(bool(pages.dmabuf.tracker), "iopt_release_pages: dma-buf tracker not empty")
    kfree(pages)


@mirrors(f"{PAGES_C}:iopt_release_pages", gap="io_pagetable.h's kref_put() wrapper; " + GAP,
         revisions=("mainline-7.1",))
def iopt_put_pages(pages) -> None:
    """kref_put() into this release's iopt_release_pages()."""
    pages.kref -= 1
    if pages.kref == 0:
        iopt_release_pages(pages)


@mirrors(f"{PAGES_C}:iopt_alloc_dmabuf_pages", gap=GAP, revisions=("mainline-7.1",))
def iopt_alloc_dmabuf_pages(ictx, dmabuf, start_byte: int, start: int, length: int, writable: bool):
    """Unchanged; calls this release's iopt_map_dmabuf() and release."""
    return prev._alloc_dmabuf_pages(ictx, dmabuf, start_byte, start, length, writable, iopt_map_dmabuf,
                                    iopt_put_pages)
