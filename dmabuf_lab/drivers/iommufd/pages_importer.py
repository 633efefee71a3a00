"""iommufd as a litmus importer over the pages.c twins of one mainline release.

The steps are the IOAS calls user space makes: ``map`` is
IOMMU_IOAS_MAP_FILE on the dma-buf fd (its dma_buf_get() reference,
``iopt_alloc_dmabuf_pages()``: attach, pin from 7.1, the range from vfio's
bridge; then ``iopt_area_fill_domains()``) and, with ``access_pin``, an
in-kernel access (an emulated device) pinning the area's first page
(``iopt_area_add_access()``); ``unmap`` is IOMMU_IOAS_UNMAP
(``iopt_area_unfill_domains()``, then the area's reference on the pages
goes and ``iopt_release_pages()`` runs).  ``attach`` and ``detach`` are
user space taking and leaving the fd: nothing in iommufd.  The kernel is taken to have booted with
CONFIG_LOCKDEP: the first importer of a run plays dma-resv's initcall.

A release's adapter sets ``pages_c`` (the release's pages.c module) and
``bridge`` (vfio's ``vfio_pci_dma_buf_iommufd_map`` of that release).
"""
from __future__ import annotations

from types import ModuleType

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.core.file import get_file
from dmabuf_lab.drivers.common import check_ptr, check_ret, device
from dmabuf_lab.drivers.dma_access import dma_access, dma_token, mapping_returned
from dmabuf_lab.kmodel import IS_ERR, current_kernel
from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.kmodel.sched import unannounced
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
        self.ictx = iommufd_ctx({"vfio_pci_dma_buf_iommufd_map": self.bridge_checked},
                                device=device(IOMMUFD_GLOBAL_DEVICE))
        self.domain = iommu_domain("ioas")
        self.iopt = io_pagetable([self.domain])
        self.dmabuf = None
        self.pages = None
        self.area = None
        self.token = None
        self.access_pin = bool(session.importer.option("access_pin", False))

    def bridge_checked(self, attachment, phys) -> int:
        """The release's vfio bridge as symbol_get() finds it, with the lab's check that a
        range handed out (reservation lock held) is not of a revoked buffer."""
        rc = type(self).bridge(attachment, phys)
        if rc == 0:
            mapping_returned(self.s, "vfio_pci_dma_buf_iommufd_map")
            self.token = dma_token(self.s)
        return rc

    def attach(self, dmabuf) -> None:
        """User space holds the dma-buf fd it will hand to the IOAS (nothing in the kernel yet)."""
        self.dmabuf = dmabuf
        self.attached = True

    def map(self) -> None:
        """IOMMU_IOAS_MAP_FILE: the dma_buf_get() reference, the pages, then the area in the domain."""
        dmabuf = self.dmabuf
        # the ioctl's dma_buf_get(): this task holds a reference already (the fd's, or in a scenario
        # that closes the fd the one its attach took), so the increment commutes with every other
        # reference operation and is not a point where the order of threads could matter
        with unannounced():
            get_file(dmabuf.file)
        pages = self.pages_c.iopt_alloc_dmabuf_pages(self.ictx, dmabuf, 0, 0, dmabuf.size, True)
        if IS_ERR(pages):
            core.dma_buf_put(dmabuf)
        self.pages = check_ptr(pages, "iommufd: iopt_alloc_dmabuf_pages")
        self.kind = "phys"
        self.area = iopt_area(self.iopt, pages, iova=IOAS_IOVA, index=0,
                              last_index=max(0, dmabuf.size // PAGE_SIZE - 1))
        rc = self.pages_c.iopt_area_fill_domains(self.area, pages)
        if rc:
            self.pages_c.iopt_put_pages(pages)
            self.pages = None
            check_ret(rc, "iommufd: iopt_area_fill_domains")
        self.mapped = True
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
        """IOMMU_IOAS_UNMAP: the area leaves the domain, and its reference on the pages goes
        (the last one runs iopt_release_pages())."""
        self.pages_c.iopt_area_unfill_domains(self.area, self.pages)
        self.mapped = False
        pages, self.pages = self.pages, None
        self.pages_c.iopt_put_pages(pages)

    def detach(self) -> None:
        """User space is done with the fd (its own reference is the scenario's to drop)."""
        self.attached = False
