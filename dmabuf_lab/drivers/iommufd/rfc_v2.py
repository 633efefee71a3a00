"""iommufd under rfc-v2: the vfio -> iommufd private bridge of that time.

the RFC v2 1/8 thread (2025-10-26): iommufd wants ``struct mapping {provider, nelms, phys_vec}``, which
the v2 interconnects do not offer; it attaches dynamically to its global
device (``allow_peer2peer``, ``move_notify``) and reads vfio's single
physical range through ``vfio_pci_dma_buf_iommufd_map()`` (-EOPNOTSUPP for
any other exporter or more than one range, -ENODEV when revoked).  Holds
``phys``.  The driver code is mainline's (:mod:`.mainline_6_19`) over v2's core.
"""
from __future__ import annotations

from dmabuf_lab.drivers.iommufd.mainline_6_19 import IommufdImporter
from dmabuf_lab.drivers.vfio_pci import rfc_v2 as vfio
from dmabuf_lab.revisions import rfc_v2


class IommufdV2Importer(IommufdImporter):
    core = rfc_v2
    vfio_pci_dma_buf_iommufd_map = staticmethod(vfio.vfio_pci_dma_buf_iommufd_map)


def make_importer(session):
    return IommufdV2Importer(session)
