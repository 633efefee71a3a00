"""vfio-pci under Linux 7.1: revocable importers only, revoke waits, no double free.

Driver: :mod:`dmabuf_lab.drivers.vfio_pci_dmabuf_7_3`.  The export runs as
one system call (its final fput is deferred to the return to user space).
"""
from __future__ import annotations

from dmabuf_lab.core.file import syscall
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.drivers.vfio_pci_dmabuf import VFIO_DEVICE_FEATURE_GET
from dmabuf_lab.drivers.vfio_pci_dmabuf_7_3 import (vfio_pci_core_feature_dma_buf, vfio_pci_dma_buf_cleanup,
                                                    vfio_pci_dma_buf_move)
from dmabuf_lab.drivers.vfio_pci.close_device import vfio_pci_core_close_device
from dmabuf_lab.revisions.base import fixed


class Vfio73Exporter(VfioExporter):
    fixed_helper_bug = "sgt-helper"

    def feature_dma_buf(self, req) -> int:
        with syscall():
            return vfio_pci_core_feature_dma_buf(self.vdev, VFIO_DEVICE_FEATURE_GET, req,
                                                 fixed_helper=fixed(self.fixed_helper_bug))

    #: revoke (PCI_COMMAND write) invalidates, then waits until every mapping is gone
    dma_buf_move = staticmethod(vfio_pci_dma_buf_move)

    #: cleanup() revokes through move() (and so waits), then unlinks
    dma_buf_cleanup = staticmethod(vfio_pci_dma_buf_cleanup)
    #: d97708701434: the dma-buf cleanup runs before the function is disabled
    core_close_device = staticmethod(vfio_pci_core_close_device)


def make_exporter(session):
    return Vfio73Exporter(session)
