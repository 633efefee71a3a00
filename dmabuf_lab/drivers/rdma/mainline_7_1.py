"""RDMA under Linux 7.1: ib_umem_dmabuf_get() attaches dynamically with
``allow_peer2peer`` and ``invalidate_mappings`` (the renamed move_notify),
so it is revocable and vfio accepts it."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73


class RdmaImporter73(SgtImporter73):
    name = "rdma"
    default_dynamic = True


def make_importer(session):
    return RdmaImporter73(session)
