"""A peer GPU under get-pfn (R1).

A PFN names a CPU physical page; "VRAM offset within this specific VRAM
memory" over a private link is no such thing, so the link cannot be named.
The GPU imports like any P2P device: an sg_table (posted, exporter-maps) or
PFNs it maps itself (importer-maps).
"""
from __future__ import annotations

from dmabuf_lab.drivers.pfn_importer import GetPfnSgtImporter, PfnDmaImporter
from dmabuf_lab.revisions.get_pfn import importer_maps


class PeerGpuSgtImporter(GetPfnSgtImporter):
    name = "peer-gpu"
    default_dynamic = True


class PeerGpuPfnImporter(PfnDmaImporter):
    name = "peer-gpu"


def make_importer(session):
    return PeerGpuPfnImporter(session) if importer_maps() else PeerGpuSgtImporter(session)
