"""vfio-pci under mapping-types-2025-10: the exporter declares its types.

``vfio_pci_dma_buf_mapping_types()`` lists, in the exporter's order of
preference: ``IOV(this VF, BAR)`` when the device is a VF (for its PF's
driver), ``PAL`` (the physical ranges with the BAR's p2pdma provider), and
``SGT_P2P`` of the device (6.19's map through ``dma_buf_phys_vec_to_sgt()``,
with the corrected core helper).  Exporter option ``pal_only = true``
declares ``[PAL]`` alone, step two of Jason's later plan ("vfio PAL-only"),
which only the ``conversion`` mode lets SGT importers use.

Every type's ``attach`` refuses a revoked buffer (-ENODEV); every map
function refuses one too.  PAL and IOV lists are kvzalloc'd by ``map`` and
kvfree'd by ``unmap``.
"""
from __future__ import annotations

from dmabuf_lab.addr.phys_vec_array import dma_buf_phys_list_free, dma_buf_phys_list_from_ranges
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (vfio_pci_dma_buf_map, vfio_pci_dma_buf_release,
                                                vfio_pci_dma_buf_unmap)
from dmabuf_lab.kmodel import ENODEV, ERR_PTR
from dmabuf_lab.revisions.mapping_types_2025_10 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P,
                                                        DMA_BUF_MAPPING_IOV, dma_buf_iov_exp_ops,
                                                        dma_buf_ops_mt, dma_buf_pal_exp_ops, dma_buf_sgt_exp_ops)
from dmabuf_lab.revisions.base import deref
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2025_10 import vfio_pci_dma_buf_attach, _ranges, vfio_pci_dma_buf_map_phys, vfio_pci_dma_buf_unmap_phys, vfio_pci_sgt_ops, vfio_pci_pal_ops, vfio_pci_iov_ops, vfio_pci_dma_buf_mapping_types, vfio_pci_dmabuf_mt_ops  # noqa: F401


class MtVfioExporter(VfioExporter):
    ops = vfio_pci_dmabuf_mt_ops

    def export(self):
        dmabuf = super().export()
        object.__setattr__(dmabuf.priv, "_pal_only", bool(self.s.exporter.option("pal_only", False)))
        return dmabuf


def make_exporter(session):
    return MtVfioExporter(session)
