"""vfio-pci under mainline (6.19): the merged exporter as it is.

Driver: :mod:`dmabuf_lab.drivers.vfio_pci_dmabuf`.  Attach needs
``peer2peer`` (-EOPNOTSUPP otherwise) and a live buffer (-ENODEV), map
goes through ``dma_buf_phys_vec_to_sgt()``.

The modes ``wait-fix`` and ``wait-fix-rearm`` swap in the exporter of the
revoke series (1a8a5227f229 "vfio: Wait for dma-buf invalidation to
complete"): :data:`~dmabuf_lab.drivers.vfio_pci_dmabuf.vfio_pci_dmabuf_ops_wait`,
:func:`~dmabuf_lab.drivers.vfio_pci_dmabuf.vfio_pci_dma_buf_move_wait` and
:func:`~dmabuf_lab.drivers.vfio_pci_dmabuf.vfio_pci_dma_buf_cleanup_wait`.
"""
from __future__ import annotations

import functools

from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.drivers.vfio_pci_dmabuf import (vfio_pci_dma_buf_cleanup_wait, vfio_pci_dma_buf_move_wait,
                                                vfio_pci_dmabuf_ops_wait)
from dmabuf_lab.revisions.base import mode


class MainlineVfioExporter(VfioExporter):
    fixed_helper_bug = "sgt-helper"
    fd_error_bug = "fd-error-put"

    def __init__(self, session):
        super().__init__(session)
        self.wait_fix = mode("wait-fix") or mode("wait-fix-rearm")
        self.rearm = mode("wait-fix-rearm")
        if self.wait_fix:
            self.ops = vfio_pci_dmabuf_ops_wait
            self.dma_buf_move = functools.partial(vfio_pci_dma_buf_move_wait, rearm=self.rearm)
            self.trace_note = " (revoke waits for invalidation" + (", re-arming)" if self.rearm else ")")

    def close_device(self) -> None:
        if not self.wait_fix:
            return super().close_device()
        vfio_pci_dma_buf_cleanup_wait(self.vdev, rearm=self.rearm)


def make_exporter(session):
    return MainlineVfioExporter(session)
