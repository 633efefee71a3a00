"""A peer GPU under mainline: no private link can be named, so it imports like
any dynamic P2P importer, an sg_table of DMA addresses."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer import SgtImporter


class PeerGpuImporter(SgtImporter):
    name = "peer-gpu"
    default_dynamic = True


def make_importer(session):
    return PeerGpuImporter(session)
