"""RDMA under mapping-types-2025-10 (R5): unconverted; ``dma_buf_dynamic_attach()`` with
``allow_peer2peer`` becomes ``[SGT(dev, accepts P2P)]``.  The sg_table is flat with a
count: the page table is sized and filled in one walk."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_mt2510 import Mt2510SgtImporter
from dmabuf_lab.drivers.sgt_importer_v2 import count_walk


class RdmaImporter(Mt2510SgtImporter):
    name = "rdma"
    default_dynamic = True

    def on_mapped(self, sgt) -> None:
        count_walk(self, sgt)


def make_importer(session):
    return RdmaImporter(session)
