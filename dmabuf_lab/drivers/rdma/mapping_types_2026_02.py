"""RDMA under mapping types (RFC 2026-02).

Unconverted (the default), ``dma_buf_dynamic_attach()`` with
``allow_peer2peer`` becomes an SGT list accepting P2P.  With the scenario
option ``wants = ["dma-addr", "phys"]`` it plays a converted importer that
passes its own list to ``dma_buf_mapping_attach()``: ``dma-addr`` as
``DMA_BUF_IMAPPING_SGT(dev, ACCEPTS_P2P)``, ``phys`` as
``DMA_BUF_IMAPPING_PAL()``, in the order given, which shows that the
exporter's order, not the importer's, decides.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.drivers.sgt_importer_mt import MtSgtImporter
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import mapping_types_2026_02 as mt


class RdmaImporter(MtSgtImporter):
    name = "rdma"
    default_dynamic = True

    def attach(self, dmabuf) -> None:
        wants = self.s.importer.option("wants")
        if not wants:
            return super().attach(dmabuf)
        self.dmabuf = dmabuf
        entries = {"dma-addr": lambda: mt.DMA_BUF_IMAPPING_SGT(self.dev, mt.DMA_SGT_IMPORTER_ACCEPTS_P2P),
                   "phys": mt.DMA_BUF_IMAPPING_PAL}
        imp = mt.match_list(*(entries[w]() for w in wants))
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify, name="rdma ops")
        self.attachment = check_ptr(mt.dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, self),
                                    "rdma: dma_buf_mapping_attach")
        self.attached = True
        self.kind = self._kind()

    def map(self) -> None:
        if self.kind != "pal":
            return super().map()
        dma_resv_lock(self.dmabuf.resv)
        try:
            self.sgt = check_ptr(mt.dma_buf_pal_map_phys(self.attachment), "rdma: dma_buf_pal_map_phys")
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.mapped = True

    def unmap(self) -> None:
        if self.kind != "pal" or not self.mapped:
            return super().unmap()
        mt.dma_buf_pal_unmap_phys(self.attachment, self.sgt)
        self.sgt = None
        self.mapped = False

    def move_notify(self, attach) -> None:
        if self.kind == "pal":
            self.s.log("rdma: move_notify")
            if self.mapped:
                mt.dma_buf_pal_unmap_phys(attach, self.sgt)
                self.sgt = None
                self.mapped = False
            return
        super().move_notify(attach)


def make_importer(session):
    return RdmaImporter(session)
