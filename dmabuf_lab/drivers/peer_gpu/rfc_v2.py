"""A peer GPU under rfc-v2: the series defines only the IOV interconnect, so a
private link cannot be named; it imports an sg_table like any P2P device."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_v2 import V2SgtImporter


class PeerGpuImporter(V2SgtImporter):
    name = "peer-gpu"
    default_dynamic = True


def make_importer(session):
    return PeerGpuImporter(session)
