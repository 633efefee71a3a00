"""vfio-pci with the IOV interconnect (RFC v1 patch 4/8, the RFC v1 thread (2025-10-14)).

"vfio/pci/dmabuf: Add support for IOV interconnect" on top of the 6.19
exporter (:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19`):

* export: :func:`vfio_pci_create_iov_match` kzallocs a
  ``dma_buf_iov_interconnect {IOV, pdev, bar = region_index}`` into
  ``priv->iov_ic`` (freed on the export error path and in release);
* attach: :func:`vfio_pci_match_interconnects` offers
  ``[CREATE_IOV_INTERCONNECT(pdev, bar)]`` to the importer's
  ``supports_interconnects``; a match makes attach return 0 at once, else
  the 6.19 tests follow (``peer2peer`` -EOPNOTSUPP, ``revoked`` -ENODEV).  The
  early return skips the revoked test (bug ``ic-revoked``);
* :func:`vfio_pci_map_iov_interconnect`: one ``kmalloc_array`` of
  ``struct range`` (one per phys_vec entry, ``end`` inclusive) and
  ``xa_store(ranges, i, &range[i])``; on an ``xa_store`` error it kfrees the
  array, leaving the already stored slots pointing at freed memory for the
  core to ``xa_destroy`` (which does not read them);
* :func:`vfio_pci_unmap_interconnect` kfrees ``xa_load(ranges, 0)``, which is
  ``&range[0]``, i.e. the array;
* :func:`vfio_pci_match_iov_interconnect`: importer pdev is
  ``pci_physfn(exporter pdev)`` and the BARs agree.  A PF exporter matches
  itself (``pci_physfn`` of a PF is the PF), though patch 3 says the
  exporter is a VF (bug ``iov-match-pf``; the fix requires ``is_virtfn``).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_fd
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_6_19 as vfio_619
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.drivers.vfio_pci.sgt_helper import _sgt_map, _sgt_unmap
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (VFIO_DEVICE_FEATURE_GET, _err_free_phys, _vfio_pci_dma_buf_export,
                                                _vfio_pci_dma_buf_link, feature_dma_buf_prepare,
                                                vfio_device_put_registration, vfio_pci_dma_buf)
from dmabuf_lab.pci.pci import pci_physfn
from dmabuf_lab.kmodel import (EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, kfree, kmalloc_array, kstruct, kzalloc, report,
                               xa_err, xa_is_err, xa_load, xa_store)
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.revisions.rfc_v1 import (CREATE_IOV_INTERCONNECT, DMA_BUF_INTERCONNECT_IOV,
                                         container_of_iov, dma_buf_interconnect_ops, dma_buf_iov_interconnect,
                                         dma_buf_ops_ic)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.rfc_v1 import range_, range_len, vfio_pci_dma_buf_ic, vfio_pci_create_iov_match, vfio_pci_map_iov_interconnect, vfio_pci_map_interconnect, vfio_pci_unmap_interconnect, vfio_pci_match_iov_interconnect, vfio_pci_match_interconnect, vfio_pci_match_interconnects, vfio_pci_dma_buf_attach, vfio_pci_dma_buf_release, vfio_pci_interconnect_ops, vfio_pci_dmabuf_ops, vfio_pci_dma_buf_iommufd_map, vfio_pci_core_feature_dma_buf  # noqa: F401


class RfcV1VfioExporter(VfioExporter):
    """vfio-pci exporting BAR slices with the IOV interconnect offered at attach."""

    trace_note = " with the IOV interconnect"

    def feature_dma_buf(self, req) -> int:
        return vfio_pci_core_feature_dma_buf(self.vdev, VFIO_DEVICE_FEATURE_GET, req)


def make_exporter(session):
    return RfcV1VfioExporter(session)
