"""drivers/vfio/pci/vfio_pci_dmabuf.c in the 2026-04/05 review plan: the SGT-only type list, the iommufd map and the iommu ops of its last step."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.drivers.vfio_pci.mapping_types_2025_10 import vfio_pci_pal_ops, vfio_pci_sgt_ops
from dmabuf_lab.kmodel import ENODEV, ERR_PTR, dma_resv_assert_held
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_iommufd_map, vfio_pci_dma_buf_map, vfio_pci_dma_buf_release, vfio_pci_dma_buf_unmap
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common import vfio_pci_dmabuf_ops as vfio_73_ops
from dmabuf_lab.revisions.base import deref
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2025_10 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P, dma_buf_ops_mt, dma_buf_sgt_exp_ops)
from dmabuf_lab.revisions.mapping_types_2026_05 import plan_helper_args, stage
from dmabuf_lab.twins import mirrors
from typing import Callable, Optional


vfio_pci_review_sgt_ops = dma_buf_sgt_exp_ops(
    attach=vfio_pci_sgt_ops.attach,
    map_dma_buf=lambda a, d: vfio_pci_dma_buf_map(a, d, faithful=plan_helper_args()["faithful"]),
    unmap_dma_buf=lambda a, s, d: vfio_pci_dma_buf_unmap(a, s, d, faithful=plan_helper_args()["faithful"]))


@mirrors("posting:mapping-types-plan:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_review_types", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def vfio_pci_dma_buf_review_types(dmabuf) -> list:
    """Step 1: [SGT_P2P of the device]; steps 2 and 3: [PAL] alone; ERR_PTR(-ENODEV) once
    cleanup has cleared ``priv->vdev``."""
    priv = dmabuf.priv
    if priv.vdev is None:
        return ERR_PTR(-ENODEV)
    # read again, as the C would: no lock keeps a cleanup from clearing it in between
    pdev = deref(priv.vdev, "pdev", "vfio_pci_dma_buf_review_types")
    if stage() == "step1":
        return [DMA_BUF_EMAPPING_SGT_P2P(vfio_pci_review_sgt_ops, pdev)]
    return [DMA_BUF_EMAPPING_PAL(vfio_pci_pal_ops, priv.provider, pdev)]


vfio_pci_dmabuf_review_ops = dma_buf_ops_mt(release=vfio_pci_dma_buf_release,
                                            mapping_types=vfio_pci_dma_buf_review_types,
                                            name="vfio_pci_dmabuf_ops (review plan)")


@mirrors("posting:mapping-types-plan:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_iommufd_map", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def vfio_pci_dma_buf_iommufd_map_review(attachment, phys) -> int:
    """Mainline's bridge, recognising the review plan's vfio ops (steps 1 and 2)."""
    return vfio_pci_dma_buf_iommufd_map(attachment, phys, ops=(vfio_pci_dmabuf_review_ops,))


@dataclass(eq=False)
class dma_buf_ops_iommu(dma_buf_ops):
    """dma_buf_ops with the proposed iommu_domain map/unmap."""

    map_attachment_iommu: Optional[Callable] = None
    unmap_attachment_iommu: Optional[Callable] = None


@mirrors("posting:mapping-types-plan:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_map_iommu", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def vfio_pci_dma_buf_map_iommu(attach, domain, iova: int, offset: int, size: int) -> int:
    """Map ``[offset, offset + size)`` of the buffer's BAR ranges at ``iova`` (resv held)."""
    priv = attach.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    if priv.revoked:
        return -ENODEV
    pos, done = 0, 0
    for i in range(priv.nr_ranges):
        paddr, ln = int(priv.phys_vec[i].paddr), int(priv.phys_vec[i].len)
        lo, hi = max(offset, pos), min(offset + size, pos + ln)
        if lo < hi:
            ret = domain.map(iova + done, paddr + (lo - pos), hi - lo)
            if ret:
                domain.unmap(iova, done)
                return ret
            done += hi - lo
        pos += ln
    return 0


@mirrors("posting:mapping-types-plan:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_unmap_iommu", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def vfio_pci_dma_buf_unmap_iommu(attach, domain, iova: int, size: int) -> None:
    domain.unmap(iova, size)


vfio_pci_dmabuf_iommu_ops = dma_buf_ops_iommu(
    attach=vfio_73_ops.attach, map_dma_buf=vfio_73_ops.map_dma_buf, unmap_dma_buf=vfio_73_ops.unmap_dma_buf,
    release=vfio_73_ops.release, map_attachment_iommu=vfio_pci_dma_buf_map_iommu,
    unmap_attachment_iommu=vfio_pci_dma_buf_unmap_iommu,
    name="vfio_pci_dmabuf_ops (7.3 + map_attachment_iommu)")
