"""RDMA under Linux 7.1: ib_umem_dmabuf_get() attaches dynamically with
``allow_peer2peer`` and ``invalidate_mappings`` (the renamed move_notify),
so it is revocable and vfio accepts it.  With ``pinned = true`` it registers a
pinned MR, with ``revocable = true`` a pinned-revocable one, through the 7.1
umem_dmabuf.c twins (:mod:`dmabuf_lab.drivers.rdma.umem_importer`).
``invalidate_callback`` and ``pin_after_attach`` change how the dynamic import
attaches (:mod:`dmabuf_lab.drivers.rdma.importer_ops_options`)."""
from __future__ import annotations

from dmabuf_lab.drivers.rdma.importer_ops_options import ImporterOpsOptions
from dmabuf_lab.drivers.rdma.umem_importer import UmemImporter
from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73
from dmabuf_lab.linux.drivers.infiniband.core.umem_dmabuf import mainline_7_1 as umem_dmabuf


class RdmaImporter73(ImporterOpsOptions, SgtImporter73):
    name = "rdma"
    default_dynamic = True


def make_importer(session):
    if UmemImporter.wanted(session):
        return UmemImporter(session, umem_dmabuf)
    return RdmaImporter73(session)
