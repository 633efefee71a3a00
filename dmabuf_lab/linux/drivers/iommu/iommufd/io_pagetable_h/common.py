"""drivers/iommu/iommufd/io_pagetable.h: the inline tests of dma-buf backed pages every release shares."""
from __future__ import annotations

from dmabuf_lab.kmodel.mutex import mutex, mutex_lockdep_assert_held
from dmabuf_lab.twins import mirrors


IOPT_ADDRESS_DMABUF = 2


_HDR = "intel-lab-lkp/linux@11cb9405ff85:drivers/iommu/iommufd/io_pagetable.h"


_HDR_GAP = ("the header was not read at this commit: the inline as the dma-buf series' patch to "
            "io_pagetable.h adds it (stored diff), used by the pages.c read here")


_ALL = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


@mirrors(f"{_HDR}:iopt_is_dmabuf", gap=_HDR_GAP, revisions=_ALL)
def iopt_is_dmabuf(pages) -> bool:
    """The pages are backed by a dma-buf (CONFIG_DMA_SHARED_BUFFER is taken as y)."""
    return pages.type == IOPT_ADDRESS_DMABUF


@mirrors(f"{_HDR}:iopt_dmabuf_revoked", gap=_HDR_GAP, revisions=_ALL)
def iopt_dmabuf_revoked(pages) -> bool:
    """Dma-buf pages whose range the revoke callback zeroed; the pages mutex must be held."""
    mutex_lockdep_assert_held(pages.mutex)
    return iopt_is_dmabuf(pages) and pages.dmabuf.phys.len == 0
