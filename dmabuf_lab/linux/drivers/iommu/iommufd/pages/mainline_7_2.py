"""pages.c in 7.2: three fixes on the dma-buf path.

- e745cd2c749e "iommufd: Take dma_resv lock before dma_buf_unpin() in
  release path" (Ankit Soni, Message-ID
  <20260526111034.4079-1-Ankit.Soni@amd.com>, CVE-2026-80633): the unpin
  in ``iopt_release_pages()`` runs under the reservation lock; the detach
  stays outside it (it takes the lock itself).
- f2d70dbd3dce "iommufd: Destroy the pages content after detaching from
  dmabuf" (CVE-2026-74328): nothing of the pages (mutex included) is torn
  down until the detach has returned, so the invalidate callback can no
  longer reach a destroyed mutex.
- 5f3fc0ad9a41 "iommufd: Reject DMABUF pages from the access pin path"
  (Peiyang He, Message-ID
  <CD68F549BF3761B7+20260709050800.520607-1-peiyang_he@smail.nju.edu.cn>):
  ``iopt_area_add_access()`` returns -EINVAL for dma-buf pages before it
  takes the pages mutex.

No 7.2 tree of pages.c was read: the first and third are the posted
patches, the second the CVE text, applied to the code read at 11cb9405ff85.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.kmodel import EINVAL, WARN_ON, dma_resv_lock, dma_resv_unlock, kfree
from dmabuf_lab.kmodel.mm import mmdrop
from dmabuf_lab.kmodel.mutex import mutex_destroy
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_6_19 as v619
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.common import iopt_is_dmabuf
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.mainline_7_1 import (  # noqa: F401  unchanged in 7.2
    iopt_alloc_pages, iopt_area_fill_domains, iopt_area_unfill_domains, iopt_dmabuf_track_all_domains,
    iopt_dmabuf_untrack_all_domains, iopt_map_dmabuf, iopt_revoke_notify, sym_vfio_pci_dma_buf_iommufd_map)
from dmabuf_lab.twins import mirrors

PAGES_C = v619.PAGES_C
GAP = ("no 7.2 tree of pages.c read: e745cd2c749e and 5f3fc0ad9a41 as posted, f2d70dbd3dce from its CVE "
       "text, applied to the 6.19-era code read at this commit")
R72 = ("mainline-7.2", "mainline-7.3-rc6")


@mirrors(f"{PAGES_C}:iopt_release_pages", gap=GAP, revisions=R72)
def iopt_release_pages(pages) -> None:
    """WARN on what is still in use; unpin under resv, detach, put the dma-buf;
    only then destroy the content (mm, mutex) and free."""
    WARN_ON(bool(pages.access_itree), "iopt_release_pages: access_itree not empty")
    WARN_ON(bool(pages.domains_itree), "iopt_release_pages: domains_itree not empty")
    WARN_ON(pages.npinned != 0, "iopt_release_pages: pages still pinned")
    if iopt_is_dmabuf(pages) and pages.dmabuf.attach is not None:
        dmabuf = pages.dmabuf.attach.dmabuf
        dma_resv_lock(dmabuf.resv)
        core.dma_buf_unpin(pages.dmabuf.attach)
        dma_resv_unlock(dmabuf.resv)
        core.dma_buf_detach(dmabuf, pages.dmabuf.attach)
        core.dma_buf_put(dmabuf)
        WARN_ON(bool(pages.dmabuf.tracker), "iopt_release_pages: dma-buf tracker not empty")
    mmdrop(pages.source_mm)
    mutex_destroy(pages.mutex)
    kfree(pages)


@mirrors(f"{PAGES_C}:iopt_release_pages", gap="io_pagetable.h's kref_put() wrapper; " + GAP, revisions=R72)
def iopt_put_pages(pages) -> None:
    """kref_put() into this release's iopt_release_pages()."""
    pages.kref -= 1
    if pages.kref == 0:
        iopt_release_pages(pages)


@mirrors(f"{PAGES_C}:iopt_alloc_dmabuf_pages", gap=GAP, revisions=R72)
def iopt_alloc_dmabuf_pages(ictx, dmabuf, start_byte: int, start: int, length: int, writable: bool):
    """Unchanged; calls this release's map and release."""
    return v619._alloc_dmabuf_pages(ictx, dmabuf, start_byte, start, length, writable, iopt_map_dmabuf,
                                    iopt_put_pages)


@mirrors(f"{PAGES_C}:iopt_area_add_access", gap=GAP, revisions=R72)
def iopt_area_add_access(area, start_index: int, last_index: int, out_pages, flags: int,
                         lock_area: bool) -> int:
    """-EINVAL for dma-buf pages before the pages mutex (5f3fc0ad9a41); else as 6.19."""
    pages = area.pages
    if flags & v619.IOMMUFD_ACCESS_RW_WRITE and not pages.writable:
        return -v619.EPERM
    if iopt_is_dmabuf(pages):
        return -EINVAL
    return v619.iopt_area_add_access(area, start_index, last_index, out_pages, flags, lock_area)
