"""A peer GPU over a private link under mapping-types-2025-10 (R5).

The design lets a driver define its own type with its own types, so the
link is expressible: the importer lists ``[XE_VRAM(the GPU it is linked to),
SGT(accepts P2P)]`` (option ``link_to``: the bdf of that GPU) and, if the
xe exporter's VRAM is the one it reaches, maps the BO's VRAM ranges
("VRAM offset within this specific VRAM memory"): ``private``.  Otherwise
it gets an sg_table like any P2P device.
"""
from __future__ import annotations

from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, importer_dev
from dmabuf_lab.drivers.xe.mapping_types_2025_10 import XE_MAPPING_VRAM, xe_vram_map, xe_vram_mapping_type, xe_vram_unmap
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.revisions.base import ImporterDriver


class MtPeerGpuImporter(ImporterDriver):
    name = "peer-gpu"

    def __init__(self, session):
        super().__init__(session)
        self.dev = importer_dev(session, "peer-gpu")
        link = session.importer.option("link_to")
        self.link = session.topology.device(link) if link else None
        self.dmabuf = None
        self.attachment = None
        self.addrs = None
        self.sgt = None

    def move_notify(self, attach) -> None:
        self.s.log("peer-gpu: move_notify")
        if self.mapped:
            self._drop()

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        imp = ([XE_MAPPING_VRAM(self.link)] if self.link is not None else []) + [mt.DMA_BUF_IMAPPING_SGT(self.dev, True)]
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify, name="peer-gpu attach ops")
        self.attachment = check_ptr(mt.dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, self),
                                    "peer-gpu: dma_buf_mapping_attach")
        self.attached = True
        self.kind = mt.mapping_kind(self.attachment)

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.attachment.map_type.type is xe_vram_mapping_type:
                self.addrs = check_ptr(xe_vram_map(self.attachment), "peer-gpu: map_vram")
            else:
                self.sgt = check_ptr(mt.dma_buf_map_attachment(self.attachment, DMA_BIDIRECTIONAL),
                                     "peer-gpu: dma_buf_map_attachment")
            self.mapped = True
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def _drop(self) -> None:
        if self.addrs is not None:
            xe_vram_unmap(self.attachment, self.addrs)
            self.addrs = None
        if self.sgt is not None:
            mt.dma_buf_unmap_attachment(self.attachment, self.sgt, DMA_BIDIRECTIONAL)
            self.sgt = None
        self.mapped = False

    def unmap(self) -> None:
        if not self.mapped:
            return
        dma_resv_lock(self.dmabuf.resv)
        try:
            self._drop()
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def detach(self) -> None:
        if self.attached:
            mt.dma_buf_detach(self.dmabuf, self.attachment)
            self.attached = False


def make_importer(session):
    return MtPeerGpuImporter(session)
