"""RDMA under mainline: a dynamic importer that accepts P2P and maps an sg_table.

Like ib_umem_dmabuf_get(): ``dma_buf_dynamic_attach()`` with
``allow_peer2peer = true`` and a move_notify that invalidates the MR; it
needs every DMA address before it can size its page table, which an sg_table
gives it.
"""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer import SgtImporter


class RdmaImporter(SgtImporter):
    name = "rdma"
    default_dynamic = True


def make_importer(session):
    return RdmaImporter(session)
