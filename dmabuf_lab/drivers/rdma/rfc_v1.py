"""RDMA under RFC v1: unchanged, a dynamic P2P importer that maps an sg_table.

The RFC gives it nothing new: its only interconnect is IOV (PF <-> own VF),
and its ``dma_buf_ranges`` is an xarray RDMA would have to walk entry by
entry to size its page table (Jason's objection in
the RFC v1 thread (2025-10-14)).
"""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_rfc_v1 import RfcV1SgtImporter


class RdmaImporter(RfcV1SgtImporter):
    name = "rdma"
    default_dynamic = True


def make_importer(session):
    return RdmaImporter(session)
