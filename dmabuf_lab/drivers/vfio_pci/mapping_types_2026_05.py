"""vfio-pci under the mapping-type review plan (see :mod:`dmabuf_lab.revisions.mapping_types_2026_05`).

Steps 1-3 use the exporter of Jason's design
(:mod:`dmabuf_lab.drivers.vfio_pci.mapping_types_2025_10`) with the list
each step gives it: ``[SGT_P2P]`` in step 1, ``[PAL]`` ("vfio PAL-only")
from step 2 on.  Step 1's SGT map calls dma_buf_phys_vec_to_sgt() as
merged (the revision's ``sgt-helper`` fix swaps in the lab's helper).  In steps 1 and 2 the private vfio -> iommufd bridge of
mainline still recognises the buffer.  Christian König's alternative uses
the Linux 7.3 exporter plus a ``map_attachment_iommu`` op that maps the
requested slice of the BAR ranges into the importer's domain.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from dmabuf_lab.drivers.vfio_pci.mainline_7_1 import Vfio73Exporter
from dmabuf_lab.drivers.vfio_pci.mapping_types_2025_10 import (MtVfioExporter, vfio_pci_pal_ops,
                                                               vfio_pci_sgt_ops)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (vfio_pci_dma_buf_iommufd_map, vfio_pci_dma_buf_map,
                                                vfio_pci_dma_buf_release, vfio_pci_dma_buf_unmap)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common import vfio_pci_dmabuf_ops as vfio_73_ops
from dmabuf_lab.kmodel import ENODEV, ERR_PTR, dma_resv_assert_held
from dmabuf_lab.revisions.mapping_types_2025_10 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_ops_mt, dma_buf_sgt_exp_ops)
from dmabuf_lab.revisions.mapping_types_2026_05 import MAP_ATTACHMENT_IOMMU, plan_helper_args, stage
from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.revisions.base import deref
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_05 import vfio_pci_review_sgt_ops, vfio_pci_dma_buf_review_types, vfio_pci_dmabuf_review_ops, vfio_pci_dma_buf_iommufd_map_review, dma_buf_ops_iommu, vfio_pci_dma_buf_map_iommu, vfio_pci_dma_buf_unmap_iommu, vfio_pci_dmabuf_iommu_ops  # noqa: F401


class ReviewVfioExporter(MtVfioExporter):
    ops = vfio_pci_dmabuf_review_ops

    def export(self):
        return super(MtVfioExporter, self).export()      # no pal_only option: the step decides


# --- dma_buf_map_attachment_iommu() ------------------------------------------------------


class IommuVfioExporter(Vfio73Exporter):
    ops = vfio_pci_dmabuf_iommu_ops


def make_exporter(session):
    if stage(session) == MAP_ATTACHMENT_IOMMU:
        return IommuVfioExporter(session)
    return ReviewVfioExporter(session)
