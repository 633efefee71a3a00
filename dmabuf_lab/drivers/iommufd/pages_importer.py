"""iommufd as a litmus importer over the pages.c twins of one mainline release.

The steps are the IOAS calls user space makes: ``attach`` is
IOMMU_IOAS_MAP_FILE on a dma-buf fd (its dma_buf_get() reference, then
``iopt_alloc_dmabuf_pages()``: attach, pin from 7.1, the range from vfio's
bridge), ``map`` puts the area into the IOAS's domain
(``iopt_area_fill_domains()``) and, with ``access_pin``, lets an in-kernel
access (an emulated device) pin the first page of it
(``iopt_area_add_access()``), ``unmap`` takes the area out
(``iopt_area_unfill_domains()``), ``detach`` drops the last reference
(``iopt_release_pages()``).  The kernel is taken to have booted with
CONFIG_LOCKDEP: the first importer of a run plays dma-resv's initcall.

A release's adapter sets ``pages_c`` (the release's pages.c module) and
``bridge`` (vfio's ``vfio_pci_dma_buf_iommufd_map`` of that release).
"""
from __future__ import annotations

from types import ModuleType

from dmabuf_lab.core import dma_buf as core
from dmabuf_lab.core.file import get_file
from dmabuf_lab.drivers.common import check_ptr, check_ret, device
from dmabuf_lab.drivers.dma_access import dma_access, dma_token, mapping_returned
from dmabuf_lab.kmodel import IS_ERR, current_kernel
from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.dma_buf.dma_resv.mainline_6_19 import dma_resv_lockdep
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_6_19
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.common import (PAGE_SIZE, io_pagetable, iommu_domain,
                                                                 iommufd_ctx, iopt_area, iopt_dmabuf_revoked)
from dmabuf_lab.revisions.base import ImporterDriver

IOMMUFD_GLOBAL_DEVICE = "iommufd"
IOAS_IOVA = 0x10_0000


class PagesImporter(ImporterDriver):
    name = "iommufd"
    pages_c: ModuleType = mainline_6_19
    bridge = None

    def __init__(self, session):
        super().__init__(session)
        if current_kernel().once("dma_resv_lockdep"):
            dma_resv_lockdep()
        self.ictx = iommufd_ctx({"vfio_pci_dma_buf_iommufd_map": type(self).bridge},
                                device=device(IOMMUFD_GLOBAL_DEVICE))
        self.domain = iommu_domain("ioas")
        self.iopt = io_pagetable([self.domain])
        self.dmabuf = None
        self.pages = None
        self.area = None
        self.token = None
        self.access_pin = bool(session.importer.options.get("access_pin", False))

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        get_file(dmabuf.file)
        pages = self.pages_c.iopt_alloc_dmabuf_pages(self.ictx, dmabuf, 0, 0, dmabuf.size, True)
        if IS_ERR(pages):
            core.dma_buf_put(dmabuf)
        self.pages = check_ptr(pages, "iommufd: iopt_alloc_dmabuf_pages")
        self.attached = True
        self.kind = "phys"

    def map(self) -> None:
        pages = self.pages
        self.area = iopt_area(self.iopt, pages, iova=IOAS_IOVA, index=0,
                              last_index=max(0, self.dmabuf.size // PAGE_SIZE - 1))
        check_ret(self.pages_c.iopt_area_fill_domains(self.area, pages), "iommufd: iopt_area_fill_domains")
        self.mapped = True
        mapping_returned(self.s, "iopt_area_fill_domains")
        self.token = dma_token(self.s)
        if self.access_pin:
            check_ret(self.pages_c.iopt_area_add_access(self.area, 0, 0, None, 0, False),
                      "iommufd: iopt_area_add_access")

    def use(self) -> None:
        """The device's DMA through the IOAS: only while the range is mapped (the pages mutex orders it
        against iopt_revoke_notify())."""
        mutex_lock(self.pages.mutex)
        try:
            if self.mapped and not iopt_dmabuf_revoked(self.pages):
                dma_access(self.s, self.token, "iommufd")
        finally:
            mutex_unlock(self.pages.mutex)

    def unmap(self) -> None:
        self.pages_c.iopt_area_unfill_domains(self.area, self.pages)
        self.mapped = False

    def detach(self) -> None:
        if self.attached:
            self.attached = False
            self.pages_c.iopt_put_pages(self.pages)

