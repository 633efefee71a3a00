"""iommufd under RFC v1: unchanged; vfio's private phys bridge still serves it.

The RFC extends vfio's own ops table, so the 6.19 bridge's ops test still
recognises the buffer (:func:`dmabuf_lab.drivers.vfio_pci.rfc_v1.vfio_pci_dma_buf_iommufd_map`);
one range only, -ENODEV when revoked.  iommufd has no
``supports_interconnects`` (the RFC v1 thread (2025-10-14)).
"""
from __future__ import annotations

from dmabuf_lab.drivers.iommufd.mainline_6_19 import IommufdImporter
from dmabuf_lab.drivers.vfio_pci import rfc_v1 as vfio
from dmabuf_lab.revisions import rfc_v1


class RfcV1IommufdImporter(IommufdImporter):
    core = rfc_v1
    vfio_pci_dma_buf_iommufd_map = staticmethod(vfio.vfio_pci_dma_buf_iommufd_map)


def make_importer(session):
    return RfcV1IommufdImporter(session)
