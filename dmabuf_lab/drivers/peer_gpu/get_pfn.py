"""A peer GPU under get-pfn.

A PFN names a CPU physical page; "VRAM offset within this specific VRAM
memory" over a private link is no such thing, so the link cannot be named.
The GPU imports like any P2P device: an sg_table (posted, exporter-maps) or
PFNs it maps itself (importer-maps).
"""
from __future__ import annotations

from dmabuf_lab.drivers.pfn_importer import make_device_importer


def make_importer(session):
    return make_device_importer(session, "peer-gpu")
