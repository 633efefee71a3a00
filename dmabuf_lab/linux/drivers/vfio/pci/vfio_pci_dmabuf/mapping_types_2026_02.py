"""drivers/vfio/pci/vfio_pci_dmabuf.c in the 2026-02 mapping-types RFC: attach, the SGT and PAL ops, the match and release."""
from __future__ import annotations

from dmabuf_lab.drivers.vfio_pci.sgt_helper import _sgt_map, _sgt_unmap
from dmabuf_lab.kmodel import ENODEV, ENOMEM, ERR_PTR, KArray, allocation_of, dma_resv_assert_held, kvfree, kvzalloc, report
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf, vfio_pci_dma_buf_release
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P, dma_buf_mapping_pal_exp_ops,
    dma_buf_mapping_sgt_exp_ops, dma_buf_phys_list, dma_buf_phys_vec)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_match_mapping
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_02 import dma_buf_ops_mt, match_list
from dmabuf_lab.twins import mirrors


#: "[PATCH RFC 12/26] vfio/pci: Change the DMA-buf exporter to use mapping_type" as carried by the branch
_RFC_12 = "jgunthorpe/linux@29ddc7d35bb9:drivers/vfio/pci/vfio_pci_dmabuf.c"


@mirrors("posting:mapping-types-rfc:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_attach", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def vfio_pci_dma_buf_attach(dmabuf, attachment) -> int:
    """Only a revoked buffer is refused now (-ENODEV); P2P is the SGT match's business."""
    if dmabuf.priv.revoked:
        return -ENODEV
    return 0


vfio_pci_dma_buf_sgt_ops = dma_buf_mapping_sgt_exp_ops(map_dma_buf=_sgt_map, unmap_dma_buf=_sgt_unmap)


@mirrors("posting:mapping-types-rfc:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_pal_map_phys", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def vfio_pci_dma_pal_map_phys(attach):
    """Copy the buffer's ranges into a new phys list (kvzalloc); ERR_PTR(-ENOMEM).

    As posted there is no ``revoked`` check: the list of a revoked BAR is
    handed out again (the lab reports ``use-after-revoke``).
    """
    priv = attach.dmabuf.priv
    if priv.revoked:
        if fixed("pal-revoked"):
            return ERR_PTR(-ENODEV)
        report("use-after-revoke", "vfio_pci_dma_pal_map_phys hands out the ranges of a revoked BAR")
    phys = kvzalloc(dma_buf_phys_list)
    if phys is None:
        return ERR_PTR(-ENOMEM)
    phys.phys = KArray(priv.nr_ranges, dma_buf_phys_vec, alloc=allocation_of(phys))
    phys.length = priv.nr_ranges
    for i in range(priv.nr_ranges):
        phys.phys[i].paddr = priv.phys_vec[i].paddr
        phys.phys[i].len = priv.phys_vec[i].len
    return phys


@mirrors("posting:mapping-types-rfc:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_pal_unmap_phys", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def vfio_pci_dma_pal_unmap_phys(attach, phys) -> None:
    """Free the list."""
    kvfree(phys)


vfio_pci_dma_buf_pal_ops = dma_buf_mapping_pal_exp_ops(map_phys=vfio_pci_dma_pal_map_phys,
                                                       unmap_phys=vfio_pci_dma_pal_unmap_phys)


class vfio_pci_dma_buf_mt(vfio_pci_dma_buf):
    """The private object with the ``pci_dev`` reference of the 2026-04-13 lock fix."""

    fields = ("pdev",)


def pci_dev_get(pdev):
    """Take a reference on the PCI function (the model does not count them: every
    device outlives every buffer in the lab's scenarios)."""
    return pdev


def pci_dev_put(pdev) -> None:
    """Drop the reference :func:`pci_dev_get` took."""


@mirrors(f"{_RFC_12}:vfio_pci_dma_buf_match_mapping",
         gap="posted as RFC patch 12/26 and grown by 22/26; the lock fix is the inline diff "
             "<20260413130147.GG2588311@nvidia.com>", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def vfio_pci_dma_buf_match_mapping(args) -> int:
    """Offer [PAL, SGT_P2P of our device].

    As posted: assert the reservation lock (which attach does not hold) and
    return -ENODEV once cleanup has cleared ``priv->vdev``.  The fix Jason
    Gunthorpe sent on 2026-04-13 drops both and names the device through the
    ``pci_dev`` reference the buffer took at export (put at release).
    """
    priv = args.dmabuf.priv
    if fixed("vfio-match-lock"):
        pdev = priv.pdev
    else:
        dma_resv_assert_held(priv.dmabuf.resv)
        if priv.vdev is None:
            return -ENODEV
        # read again, as the C does: without the lock a cleanup can clear it in between
        pdev = deref(priv.vdev, "pdev", "vfio_pci_dma_buf_match_mapping")
    exp = match_list(DMA_BUF_EMAPPING_PAL(vfio_pci_dma_buf_pal_ops),
                     DMA_BUF_EMAPPING_SGT_P2P(vfio_pci_dma_buf_sgt_ops, pdev))
    return dma_buf_match_mapping(args, exp, len(exp))


@mirrors(f"{_RFC_12}:vfio_pci_dma_buf_release",
         gap="the pci_dev_put() is the release hunk of the inline diff <20260413130147.GG2588311@nvidia.com>",
         revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def vfio_pci_dma_buf_release_mt(dmabuf) -> None:
    """6.19's release plus, with the lock fix, the put of the export's ``pci_dev`` reference."""
    pdev = dmabuf.priv.pdev
    vfio_pci_dma_buf_release(dmabuf)
    if fixed("vfio-match-lock"):
        pci_dev_put(pdev)


vfio_pci_dmabuf_ops = dma_buf_ops_mt(attach=vfio_pci_dma_buf_attach, release=vfio_pci_dma_buf_release_mt,
                                     match_mapping=vfio_pci_dma_buf_match_mapping,
                                     name="vfio_pci_dmabuf_ops (mapping types)")
