"""drivers/vfio/pci/vfio_pci_dmabuf.c in the October 2025 mapping-types design: SGT, PAL and IOV exporter ops and the type list."""
from __future__ import annotations

from dmabuf_lab.addr.phys_vec_array import dma_buf_phys_list_free, dma_buf_phys_list_from_ranges
from dmabuf_lab.kmodel import ENODEV, ERR_PTR
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_map, vfio_pci_dma_buf_release, vfio_pci_dma_buf_unmap
from dmabuf_lab.revisions.base import deref
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2025_10 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P, DMA_BUF_MAPPING_IOV, dma_buf_iov_exp_ops,
    dma_buf_ops_mt, dma_buf_pal_exp_ops, dma_buf_sgt_exp_ops)
from dmabuf_lab.twins import mirrors


@mirrors("posting:mapping-types-design:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def vfio_pci_dma_buf_attach(dmabuf, attach) -> int:
    """Shared by every type: a revoked buffer takes no new attachment."""
    return -ENODEV if dmabuf.priv.revoked else 0


def _ranges(priv):
    return [(int(priv.phys_vec[i].paddr), int(priv.phys_vec[i].len)) for i in range(priv.nr_ranges)]


@mirrors("posting:mapping-types-design:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_map_phys", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def vfio_pci_dma_buf_map_phys(attach):
    """PAL (and IOV) map: a kvzalloc'd copy of the ranges; -ENODEV once revoked."""
    priv = attach.dmabuf.priv
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    return dma_buf_phys_list_from_ranges(_ranges(priv))


@mirrors("posting:mapping-types-design:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_unmap_phys", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def vfio_pci_dma_buf_unmap_phys(attach, lst) -> None:
    """Free the physical address list made by the PAL map."""
    dma_buf_phys_list_free(lst)


vfio_pci_sgt_ops = dma_buf_sgt_exp_ops(attach=vfio_pci_dma_buf_attach,
                                       map_dma_buf=lambda a, d: vfio_pci_dma_buf_map(a, d, faithful=False),
                                       unmap_dma_buf=lambda a, s, d: vfio_pci_dma_buf_unmap(a, s, d, faithful=False))


vfio_pci_pal_ops = dma_buf_pal_exp_ops(attach=vfio_pci_dma_buf_attach, map_phys=vfio_pci_dma_buf_map_phys,
                                       unmap_phys=vfio_pci_dma_buf_unmap_phys)


vfio_pci_iov_ops = dma_buf_iov_exp_ops(attach=vfio_pci_dma_buf_attach, map_iov=vfio_pci_dma_buf_map_phys,
                                       unmap_iov=vfio_pci_dma_buf_unmap_phys)


@mirrors("posting:mapping-types-design:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_mapping_types", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def vfio_pci_dma_buf_mapping_types(dmabuf) -> list:
    """[IOV if a VF, PAL, SGT_P2P], or [PAL] with ``pal_only``; ERR_PTR(-ENODEV) once
    ``vfio_pci_dma_buf_cleanup()`` has cleared ``priv->vdev`` (the test Jason's posted
    ``vfio_pci_dma_buf_match_mapping()`` makes for the same reason)."""
    priv = dmabuf.priv
    if priv.vdev is None:
        return ERR_PTR(-ENODEV)
    # read again, as the C would: no lock keeps a cleanup from clearing it in between
    pdev = deref(priv.vdev, "pdev", "vfio_pci_dma_buf_mapping_types")
    bar = priv.provider.bar
    pal = DMA_BUF_EMAPPING_PAL(vfio_pci_pal_ops, priv.provider, pdev)
    if getattr(priv, "_pal_only", False):
        return [pal]
    out = []
    if pdev.is_virtfn:
        out.append(DMA_BUF_MAPPING_IOV(pdev, bar, vfio_pci_iov_ops))
    out += [pal, DMA_BUF_EMAPPING_SGT_P2P(vfio_pci_sgt_ops, pdev)]
    return out


vfio_pci_dmabuf_mt_ops = dma_buf_ops_mt(release=vfio_pci_dma_buf_release,
                                        mapping_types=vfio_pci_dma_buf_mapping_types,
                                        name="vfio_pci_dmabuf_ops (mapping types 2025-10)")
