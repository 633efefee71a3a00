"""vfio-pci under Linux 7.1: BARs claimed at open, export checked, revoke waits, close cleans up first.

Drivers: :mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common` (the v7.1-rc4 file:
revocable importers only, the waiting revoke with c64a647c84f3's re-arm, no
double free), :mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_7_1`
(the export's BAR check, 702809dabdec) and
:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.mainline_7_1` (enable
claims and maps every BAR, 05f2a68b407a; close cleans up before disable,
d97708701434).  The export runs as one system call (its final fput is
deferred to the return to user space).

Mode ``rc1``: the revoke as first merged (1a8a5227f229 with 6ffe939bf94f,
7.1-rc1 to rc3), before c64a647c84f3: restore re-arms the kref, cleanup
drains every buffer itself, so a close after a revoke puts the kref a
second time and waits on a consumed completion.
"""
from __future__ import annotations

from dmabuf_lab.core.file import syscall
from dmabuf_lab.drivers.vfio_pci.close_device import vfio_pci_core_close_device
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import VFIO_DEVICE_FEATURE_GET
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common import (vfio_pci_core_feature_dma_buf, vfio_pci_dma_buf_cleanup,
                                                    vfio_pci_dma_buf_move)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import mainline_7_1 as core_71
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_7_1 as dmabuf_71
from dmabuf_lab.revisions.base import fixed, mode

#: the name of mainline-7.1's mode that runs the revoke as first merged
RC1 = "rc1"


class Vfio73Exporter(VfioExporter):
    """The v7.1-rc4 vfio_pci_dmabuf.c without the device's open or the BAR check: the
    base a later design (mapping-types-2026-05) builds on."""

    fixed_helper_bug = "sgt-helper"

    def feature_dma_buf(self, req) -> int:
        with syscall():
            return vfio_pci_core_feature_dma_buf(self.vdev, VFIO_DEVICE_FEATURE_GET, req,
                                                 fixed_helper=fixed(self.fixed_helper_bug))

    dma_buf_move = staticmethod(vfio_pci_dma_buf_move)
    dma_buf_cleanup = staticmethod(vfio_pci_dma_buf_cleanup)
    core_close_device = staticmethod(vfio_pci_core_close_device)


class Vfio71Exporter(VfioExporter):
    fixed_helper_bug = "sgt-helper"
    #: 7.1's open, disable and close
    core = core_71
    #: this release's VFIO_DEVICE_FEATURE_DMA_BUF twin
    feature = staticmethod(dmabuf_71.vfio_pci_core_feature_dma_buf)

    def feature_dma_buf(self, req) -> int:
        with syscall():
            return self.feature(self.vdev, VFIO_DEVICE_FEATURE_GET, req,
                                fixed_helper=fixed(self.fixed_helper_bug))

    @property
    def dma_buf_move(self):
        """Revoke (PCI_COMMAND write): invalidate, then wait until every mapping is gone."""
        return dmabuf_71.vfio_pci_dma_buf_move_rc1 if mode(RC1) else vfio_pci_dma_buf_move

    @property
    def dma_buf_cleanup(self):
        """Close: revoke through move() (and so wait), then unlink; ``rc1``: drain each buffer here."""
        return dmabuf_71.vfio_pci_dma_buf_cleanup_rc1 if mode(RC1) else vfio_pci_dma_buf_cleanup


def make_exporter(session):
    return Vfio71Exporter(session)
