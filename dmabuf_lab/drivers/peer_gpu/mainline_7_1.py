"""A peer GPU under Linux 7.1: a dynamic P2P sg_table importer with invalidate_mappings."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73


class PeerGpuImporter73(SgtImporter73):
    name = "peer-gpu"
    default_dynamic = True


def make_importer(session):
    return PeerGpuImporter73(session)
