"""KVM under mainline: not expressible.

KVM wants PFNs / physical addresses to build guest mappings; mainline
dma-buf only hands out sg_tables of DMA addresses for a device, and KVM is
no device.  (This is the gap the get_pfn proposal, the get_pfn RFC thread (2025-01-07/08), tried to fill.)
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress


def make_importer(session):
    raise CannotExpress("mainline dma-buf has no way to give KVM a PFN or physical address")
