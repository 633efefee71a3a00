"""RDMA under rfc-v2: an unconverted dynamic P2P importer of sg_tables.

There is no interconnect for "DMA addresses for this device" in the series
(Christian asked to start with one, the RFC v1 thread (2025-10-14)), so RDMA keeps the sg_table;
being flat with a count, it sizes and fills its page table in one walk.
"""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_v2 import V2SgtImporter, count_walk


class RdmaImporter(V2SgtImporter):
    name = "rdma"
    default_dynamic = True

    def on_mapped(self, sgt) -> None:
        count_walk(self, sgt)


def make_importer(session):
    return RdmaImporter(session)
