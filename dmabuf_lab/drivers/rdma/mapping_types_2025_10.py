"""RDMA under mapping-types-2025-10.

Unconverted (the default), ``dma_buf_dynamic_attach()`` with
``allow_peer2peer`` becomes ``[SGT(dev, accepts P2P)]``; the sg_table is
flat with a count, so the page table is sized and filled in one walk.

With the scenario option ``wants = ["dma-addr", "phys"]`` it plays a
converted importer that passes its own match list to
``dma_buf_mapping_attach()``: ``dma-addr`` as ``SGT(dev, accepts P2P)``,
``phys`` as ``PAL``, in the order given.  The core walks the exporter's
list outside (see :mod:`dmabuf_lab.revisions.mapping_types_2025_10`), so
the exporter's order decides, as under the 2026-02 RFC and unlike the offer
list.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.drivers.sgt_importer_mt import Mt2510SgtImporter
from dmabuf_lab.drivers.sgt_importer_v2 import count_walk
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import mapping_types_2025_10 as mt


class RdmaImporter(Mt2510SgtImporter):
    name = "rdma"
    default_dynamic = True

    def on_mapped(self, sgt) -> None:
        count_walk(self, sgt)

    def attach(self, dmabuf) -> None:
        """Unconverted: the compat attach; with ``wants``: its own list through dma_buf_mapping_attach()."""
        wants = self.s.importer.option("wants")
        if not wants:
            return super().attach(dmabuf)
        self.dmabuf = dmabuf
        entries = {"dma-addr": lambda: mt.DMA_BUF_IMAPPING_SGT(self.dev, True),
                   "phys": mt.DMA_BUF_IMAPPING_PAL}
        imp = [entries[w]() for w in wants]
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify, name="rdma ops")
        self.attachment = check_ptr(mt.dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, self),
                                    "rdma: dma_buf_mapping_attach")
        self.attached = True
        self.kind = self._kind()

    def map(self) -> None:
        """SGT: the sg_table path; PAL: the exporter's physical list, under the reservation lock."""
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
        dma_resv_lock(self.dmabuf.resv)
        try:
            mt.dma_buf_pal_unmap_phys(self.attachment, self.sgt)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.sgt = None
        self.mapped = False

    def move_notify(self, attach) -> None:
        """The exporter moved or revoked the buffer (resv held): drop whatever is mapped."""
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
