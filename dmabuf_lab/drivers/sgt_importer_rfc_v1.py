"""The sg_table importer under RFC v1 (the RFC v1 thread (2025-10-14), patches 1-2).

Importers that do not implement ``supports_interconnects`` are untouched by
the RFC: they attach through the RFC's ``dma_buf_dynamic_attach()`` (which
leaves ``allow_ic`` clear for them) and map an sg_table as before.

Option ``map_via = "interconnect"`` makes such an importer call
``dma_buf_map_interconnect()`` itself instead, to probe the core's checks
(a static importer gets -EINVAL, a dynamic one without ``allow_ic``
-EOPNOTSUPP); ``hold_resv = false`` makes it call without the reservation
lock.
"""
from __future__ import annotations

from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import rfc_v1
from dmabuf_lab.revisions.rfc_v1 import dma_buf_map_interconnect, dma_buf_unmap_interconnect


class RfcV1SgtImporter(SgtImporter):
    """An sg_table importer written against RFC v1's core."""

    core = rfc_v1

    def __init__(self, session, devname=None):
        super().__init__(session, devname=devname)
        self.map_via = session.importer.option("map_via", "sgt")
        self.hold_resv = bool(session.importer.option("hold_resv", True))
        self.ranges = None

    def map(self) -> None:
        if self.map_via != "interconnect":
            return super().map()
        if self.hold_resv:
            dma_resv_lock(self.dmabuf.resv)
        try:
            ranges = dma_buf_map_interconnect(self.attachment)
        finally:
            if self.hold_resv:
                dma_resv_unlock(self.dmabuf.resv)
        self.ranges = check_ptr(ranges, f"{self.name}: dma_buf_map_interconnect")
        self.mapped = True
        self.kind = "iov"

    def unmap(self) -> None:
        if self.ranges is None:
            return super().unmap()
        dma_resv_lock(self.dmabuf.resv)
        try:
            dma_buf_unmap_interconnect(self.attachment, self.ranges)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.ranges = None
        self.mapped = False
