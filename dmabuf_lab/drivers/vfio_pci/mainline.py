"""vfio-pci under mainline (6.19): the merged exporter as it is.

Driver: :mod:`dmabuf_lab.drivers.vfio_pci_dmabuf`.  Attach needs
``peer2peer`` (-EOPNOTSUPP otherwise) and a live buffer (-ENODEV), map
goes through ``dma_buf_phys_vec_to_sgt()``.
"""
from __future__ import annotations

from dmabuf_lab.drivers.vfio_pci.export import VfioExporter


class MainlineVfioExporter(VfioExporter):
    fixed_helper_bug = "sgt-helper"
    fd_error_bug = "fd-error-put"


def make_exporter(session):
    return MainlineVfioExporter(session)
