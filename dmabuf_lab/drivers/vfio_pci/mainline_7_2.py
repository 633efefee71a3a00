"""vfio-pci under Linux 7.2: as 7.1, the export's BAR check through vfio_pci_core_get_iomap().

859dc0f6253b (:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_7_2`):
the same -ENODEV for a BAR whose set-up at open failed.
"""
from __future__ import annotations

from dmabuf_lab.drivers.vfio_pci.mainline_7_1 import Vfio71Exporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_7_2 as dmabuf_72


class Vfio72Exporter(Vfio71Exporter):
    feature = staticmethod(dmabuf_72.vfio_pci_core_feature_dma_buf)


def make_exporter(session):
    return Vfio72Exporter(session)
