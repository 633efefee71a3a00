"""vfio-pci under Linux 7.3: revocable importers only, revoke waits, no double free.

Driver: :mod:`dmabuf_lab.drivers.vfio_pci_dmabuf_7_3`.  The export runs as
one system call (its final fput is deferred to the return to user space).
"""
from __future__ import annotations

from dmabuf_lab.core.file import syscall
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.drivers.vfio_pci_dmabuf import VFIO_DEVICE_FEATURE_GET
from dmabuf_lab.drivers.vfio_pci_dmabuf_7_3 import vfio_pci_core_feature_dma_buf, vfio_pci_dma_buf_move
from dmabuf_lab.revisions.base import fixed


class Vfio73Exporter(VfioExporter):
    fixed_helper_bug = "sgt-helper"

    def feature_dma_buf(self, req) -> int:
        with syscall():
            return vfio_pci_core_feature_dma_buf(self.vdev, VFIO_DEVICE_FEATURE_GET, req,
                                                 fixed_helper=fixed(self.fixed_helper_bug))

    def revoke(self) -> None:
        """Memory decoding off / reset: invalidate, then wait until every mapping is gone."""
        vfio_pci_dma_buf_move(self.vdev, True)

    def move(self) -> None:
        """A reset cycle: revoke (waiting), then restore."""
        vfio_pci_dma_buf_move(self.vdev, True)
        vfio_pci_dma_buf_move(self.vdev, False)


def make_exporter(session):
    return Vfio73Exporter(session)
