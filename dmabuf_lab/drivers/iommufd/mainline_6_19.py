"""iommufd under mainline (6.19): dynamic attach plus vfio's private phys bridge.

``iopt_map_dmabuf()`` attaches with ``iopt_dmabuf_attach_revoke_ops``
(``allow_peer2peer``, ``move_notify = iopt_revoke_notify``) to iommufd's
global device, then under the reservation lock asks
``vfio_pci_dma_buf_iommufd_map()`` for the buffer's single physical range:
-EOPNOTSUPP for a non-vfio exporter or more than one range, -ENODEV when
revoked.  The importer holds ``phys``.

Mainline 6.19 itself runs :class:`IommufdPages619`: the IOAS steps over
the pages.c twins (:mod:`dmabuf_lab.drivers.iommufd.pages_importer`).
RFC v1 and v2 keep the importer class below and only change what it calls: the
revision's ``dma_buf_dynamic_attach()`` / ``dma_buf_detach()`` (``core``)
and the bridge that recognises the revision's vfio ops (class attributes
below).  The mapping-types 2026-02 PAL importer keeps its iopt_pages
side (:meth:`IommufdImporter.use`).
"""
from __future__ import annotations

from types import ModuleType

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as dma_buf
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, check_ret, device
from dmabuf_lab.drivers.dma_access import dma_access, dma_token, mapping_returned
from dmabuf_lab.drivers.vfio_pci_dmabuf import phys_vec, vfio_pci_dma_buf_iommufd_map
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.mutex import mutex, mutex_lock, mutex_unlock
from dmabuf_lab.drivers.iommufd.pages_importer import PagesImporter
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_6_19 as pages_6_19
from dmabuf_lab.revisions.base import ImporterDriver
from dmabuf_lab.twins import mirrors

IOMMUFD_GLOBAL_DEVICE = "iommufd"


class IommufdImporter(ImporterDriver):
    name = "iommufd"
    #: the revision's module whose dma_buf_dynamic_attach() and dma_buf_detach() it calls
    core: ModuleType = dma_buf
    vfio_pci_dma_buf_iommufd_map = staticmethod(vfio_pci_dma_buf_iommufd_map)
    #: the dma_buf_attach_ops member iopt_revoke_notify() is given as (renamed in 7.3)
    notify_member = "move_notify"

    def __init__(self, session):
        super().__init__(session)
        self.dev = device(IOMMUFD_GLOBAL_DEVICE)
        self.dmabuf = None
        self.attachment = None
        self.phys = phys_vec()
        self.revoked = False
        self.pages_mutex = mutex("iopt_pages.mutex")
        self.token = None

    @mirrors("gregkh/linux@2519003dd5fb:drivers/iommu/iommufd/pages.c:iopt_revoke_notify", gap="in the tree of the vfio file read for 7.3; pages.c itself was not read at this commit", revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
    def iopt_revoke_notify(self, attach) -> None:
        """move_notify: the exporter revoked; under pages->mutex unmap the IOVA
        range from every domain and mark the pages revoked (resv held)."""
        self.s.log("iommufd: iopt_revoke_notify")
        mutex_lock(self.pages_mutex)
        self.revoked = True
        self.mapped = False
        mutex_unlock(self.pages_mutex)

    def use(self) -> None:
        """iopt_fill_domain() and the device's DMA through it: under pages->mutex,
        only while the pages are not revoked (pfn_reader_dmabuf_init WARNs otherwise)."""
        mutex_lock(self.pages_mutex)
        try:
            if not self.revoked and self.mapped:
                dma_access(self.s, self.token, "iommufd")
        finally:
            mutex_unlock(self.pages_mutex)

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        ops = dma_buf_attach_ops(allow_peer2peer=True, name="iopt_dmabuf_attach_revoke_ops",
                                 **{self.notify_member: self.iopt_revoke_notify})
        self.attachment = check_ptr(self.core.dma_buf_dynamic_attach(dmabuf, self.dev, ops, self),
                                    "iommufd: attach")
        self.attached = True
        self.kind = "phys"

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            rc = self.vfio_pci_dma_buf_iommufd_map(self.attachment, self.phys)
            if rc == 0:
                mapping_returned(self.s, "vfio_pci_dma_buf_iommufd_map")
                self.token = dma_token(self.s)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        check_ret(rc, "iommufd: vfio_pci_dma_buf_iommufd_map")
        self.revoked = False
        self.mapped = True

    def unmap(self) -> None:
        self.mapped = False

    def detach(self) -> None:
        if self.attached:
            self.core.dma_buf_detach(self.dmabuf, self.attachment)
            self.attached = False


class IommufdPages619(PagesImporter):
    """Mainline 6.19: the IOAS steps over pages.c as read at 11cb9405ff85."""
    pages_c = pages_6_19
    bridge = staticmethod(vfio_pci_dma_buf_iommufd_map)


def make_importer(session):
    return IommufdPages619(session)
