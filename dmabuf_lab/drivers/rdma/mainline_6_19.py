"""RDMA under mainline: a dynamic importer that accepts P2P and maps an sg_table.

Like ib_umem_dmabuf_get(): ``dma_buf_dynamic_attach()`` with
``allow_peer2peer = true`` and a move_notify that invalidates the MR; it
needs every DMA address before it can size its page table, which an sg_table
gives it.  With ``pinned = true`` it registers a pinned MR through the 6.19
umem_dmabuf.c twins (:mod:`dmabuf_lab.drivers.rdma.umem_importer`).
``invalidate_callback`` and ``pin_after_attach`` change how the dynamic import
attaches (:mod:`dmabuf_lab.drivers.rdma.importer_ops_options`).
"""
from __future__ import annotations

from dmabuf_lab.drivers.rdma.importer_ops_options import ImporterOpsOptions
from dmabuf_lab.drivers.rdma.umem_importer import UmemImporter
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.linux.drivers.infiniband.core.umem_dmabuf import mainline_6_19 as umem_dmabuf


class RdmaImporter(ImporterOpsOptions, SgtImporter):
    name = "rdma"
    default_dynamic = True


def make_importer(session):
    if UmemImporter.wanted(session):
        return UmemImporter(session, umem_dmabuf)
    return RdmaImporter(session)
