"""vfio-pci as an interconnect-aware exporter under the offer-list proposal (offer-list).

vfio can serve three entries of Thomas's list:

* ``phys_addr_t`` ("used between vfio, kvm, iommufd"): a kvmalloc'd copy of
  the physical ranges;
* a PCI BAR slice: the importer names itself and the BAR; accepted when the
  importer is the physical function of the exporting VF and the BAR agrees
  (the same rule RFC v1 later gave its IOV interconnect); the importer gets
  BAR offsets and lengths;
* the generic ``dma_addr_t`` for a device: accepted when that device can
  reach the BAR (``pci_p2pdma_distance() >= 0``: "just like pcie_p2p", the
  exporter decides), mapped with 6.19's ``dma_buf_phys_vec_to_sgt()``.

Every map refuses a revoked buffer with -ENODEV, as the 6.19 code does.
The 6.19 callbacks (attach needing ``peer2peer``, map, unmap) stay in the
ops table for importers that never negotiate.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.drivers.vfio_pci.sgt_helper import _sgt_map, _sgt_unmap
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_attach, vfio_pci_dma_buf_release
from dmabuf_lab.kmodel import ENODEV, ENOMEM, EOPNOTSUPP, ERR_PTR, kvfree, kvmalloc_array
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.pci.pci import pci_resource_start
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.offer_list import (dma_buf_interconnect_map_ops, dma_buf_negotiate_first,
                                             dma_buf_ops_ic, dmabuf_generic_dma_addr_t, dmabuf_pci_bar_slice,
                                             dmabuf_phys_addr_t)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.offer_list import _priv, vfio_ic_phys_map, vfio_ic_bar_slice_map, vfio_ic_list_unmap, vfio_ic_dma_map, vfio_ic_dma_unmap, vfio_phys_ops, vfio_bar_slice_ops, vfio_dma_addr_ops, _accepts, vfio_pci_dma_buf_negotiate, vfio_pci_dma_buf_attach_interconnect, vfio_pci_dmabuf_ic_ops  # noqa: F401


class OfferListVfioExporter(VfioExporter):
    ops = vfio_pci_dmabuf_ic_ops


def make_exporter(session):
    return OfferListVfioExporter(session)
