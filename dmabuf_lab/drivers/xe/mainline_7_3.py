"""xe under Linux 7.3: the 6.19 exporter and importer with the renamed notification.

The exporter tells importers about an eviction with
dma_buf_invalidate_mappings() (95308225e5ba); the importer attaches with
``invalidate_mappings`` and calls the 7.3 core.
"""
from __future__ import annotations

from dmabuf_lab.core.dma_buf_7_3 import dma_buf_invalidate_mappings
from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73
from dmabuf_lab.drivers.xe.bo import XE_PL_TT, XE_PL_VRAM0
from dmabuf_lab.drivers.xe.mainline import XeExporter
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock


class XeExporter73(XeExporter):
    """The VRAM exporter; eviction notifies through dma_buf_invalidate_mappings()."""

    def move(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        self.bo.placement = XE_PL_TT if self.bo.placement == XE_PL_VRAM0 else XE_PL_VRAM0
        dma_buf_invalidate_mappings(self.dmabuf)
        dma_resv_unlock(self.dmabuf.resv)


class XeImporter73(SgtImporter73):
    """The xe PF importing an sg_table (dynamic, allow_peer2peer, invalidate_mappings)."""

    name = "xe"
    default_dynamic = True


def make_exporter(session):
    return XeExporter73(session)


def make_importer(session):
    return XeImporter73(session)
