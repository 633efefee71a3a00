"""RDMA under mapping types (RFC 2026-02).

Unconverted (the default), ``dma_buf_dynamic_attach()`` with
``allow_peer2peer`` becomes an SGT list accepting P2P.  With the scenario
option ``wants = ["dma-addr", "phys"]`` it plays a converted importer that
passes its own list to ``dma_buf_mapping_attach()``: ``dma-addr`` as
``DMA_BUF_IMAPPING_SGT(dev, ACCEPTS_P2P)``, ``phys`` as
``DMA_BUF_IMAPPING_PAL()``, in the order given, which shows that the
exporter's order, not the importer's, decides.

The 2025-10 design's RDMA importer (:mod:`.mapping_types_2025_10`) is this
class over that revision's core; it overrides only the calls that differ.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.drivers.sgt_importer_mt import MtSgtImporter
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock


class RdmaImporter(MtSgtImporter):
    name = "rdma"
    default_dynamic = True
    #: Whether dma_buf_pal_unmap_phys() is called under the reservation lock:
    #: the 2026-02 RFC does not ask for it (its unmap asserts nothing).
    pal_unmap_locked = False

    def _sgt_match(self):
        """The ``dma-addr`` entry: ``DMA_BUF_IMAPPING_SGT(dev, DMA_SGT_IMPORTER_ACCEPTS_P2P)``."""
        return self.core.DMA_BUF_IMAPPING_SGT(self.dev, self.core.DMA_SGT_IMPORTER_ACCEPTS_P2P)

    def _match_list(self, entries) -> list:
        """The importer's list as the RFC builds it (``DMA_BUF_IMAPPING_*`` entries, terminated)."""
        return self.core.match_list(*entries)

    def attach(self, dmabuf) -> None:
        """Unconverted: the compat attach; with ``wants``: its own list through dma_buf_mapping_attach()."""
        wants = self.s.importer.option("wants")
        if not wants:
            return super().attach(dmabuf)
        self.dmabuf = dmabuf
        entries = {"dma-addr": self._sgt_match, "phys": self.core.DMA_BUF_IMAPPING_PAL}
        imp = self._match_list(entries[w]() for w in wants)
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify, name="rdma ops")
        self.attachment = check_ptr(self.core.dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, self),
                                    "rdma: dma_buf_mapping_attach")
        self.attached = True
        self.kind = self._kind()

    def map(self) -> None:
        """SGT: the sg_table path; PAL: the exporter's physical list, under the reservation lock."""
        if self.kind != "pal":
            return super().map()
        dma_resv_lock(self.dmabuf.resv)
        try:
            self.sgt = check_ptr(self.core.dma_buf_pal_map_phys(self.attachment), "rdma: dma_buf_pal_map_phys")
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.mapped = True

    def unmap(self) -> None:
        if self.kind != "pal" or not self.mapped:
            return super().unmap()
        if self.pal_unmap_locked:
            dma_resv_lock(self.dmabuf.resv)
        try:
            self.core.dma_buf_pal_unmap_phys(self.attachment, self.sgt)
        finally:
            if self.pal_unmap_locked:
                dma_resv_unlock(self.dmabuf.resv)
        self.sgt = None
        self.mapped = False

    def move_notify(self, attach) -> None:
        """The exporter moved or revoked the buffer (resv held): drop whatever is mapped."""
        if self.kind == "pal":
            self.s.log("rdma: move_notify")
            if self.mapped:
                self.core.dma_buf_pal_unmap_phys(attach, self.sgt)
                self.sgt = None
                self.mapped = False
            return
        super().move_notify(attach)


def make_importer(session):
    return RdmaImporter(session)
