"""iommufd under get-pfn: one of the RFC's named "subsystem importers".

The RFC names iommufd (map the buffer at a user IOVA through its own IOMMU
page table) but posts no iommufd patch; the lab writes it like the KVM
binding: dynamic attach without a device, ``allow_peer2peer``, a
``move_notify`` that unmaps the IOVA range, and the whole buffer walked
through ``dma_buf_get_pfn_unlocked()`` into physical runs (``pfn``).  Errors
are passed up as they come.

exporter-maps: not expressible.  iommufd programs an IOMMU domain with CPU
physical addresses; DMA addresses made for some device are not usable.
"""
from __future__ import annotations

from dmabuf_lab.drivers.pfn_importer import PfnTableImporter
from dmabuf_lab.revisions.base import CannotExpress
from dmabuf_lab.revisions.get_pfn import exporter_maps


class IommufdPfnImporter(PfnTableImporter):
    name = "iommufd"


def make_importer(session):
    if exporter_maps():
        raise CannotExpress("exporter-maps: iommufd needs CPU physical addresses for its IOMMU "
                            "page table, not DMA addresses made for a device")
    return IommufdPfnImporter(session)
