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

The driver code is the 2026-02 one (:mod:`.mapping_types_2026_02`); what
the 2025-10 design changes: ``DMA_BUF_IMAPPING_SGT()`` takes a bool, the
match list is a plain array, and ``dma_buf_pal_unmap_phys()`` asserts the
reservation lock, so the importer takes it around the unmap.
"""
from __future__ import annotations

from dmabuf_lab.drivers.rdma import mapping_types_2026_02
from dmabuf_lab.drivers.sgt_importer_v2 import count_walk
from dmabuf_lab.revisions import mapping_types_2025_10


class RdmaImporter(mapping_types_2026_02.RdmaImporter):
    core = mapping_types_2025_10
    pal_unmap_locked = True

    def on_mapped(self, sgt) -> None:
        count_walk(self, sgt)

    def _sgt_match(self):
        return self.core.DMA_BUF_IMAPPING_SGT(self.dev, True)

    def _match_list(self, entries) -> list:
        return list(entries)


def make_importer(session):
    return RdmaImporter(session)
