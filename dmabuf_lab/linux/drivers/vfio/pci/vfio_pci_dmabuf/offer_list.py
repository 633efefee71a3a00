"""drivers/vfio/pci/vfio_pci_dmabuf.c under the offer-list proposal: phys_addr_t, BAR slice and dma_addr_t interconnects, negotiation and the ops table."""
from __future__ import annotations

from dmabuf_lab.drivers.vfio_pci.sgt_helper import _sgt_map, _sgt_unmap
from dmabuf_lab.kmodel import ENODEV, ENOMEM, EOPNOTSUPP, ERR_PTR, kvfree, kvmalloc_array
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_attach, vfio_pci_dma_buf_release
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.pci.pci import pci_resource_start
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.offer_list import (dma_buf_interconnect_map_ops, dma_buf_negotiate_first, dma_buf_ops_ic)
from dmabuf_lab.revisions.offer_list import (dmabuf_generic_dma_addr_t, dmabuf_pci_bar_slice, dmabuf_phys_addr_t)
from dmabuf_lab.twins import mirrors


def _priv(attach):
    return attach.dmabuf.priv


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_ic_phys_map", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_ic_phys_map(attach):
    """phys_addr_t: a copy of the ranges as (paddr, len) pairs."""
    priv = _priv(attach)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    out = kvmalloc_array(priv.nr_ranges, 16)
    if out is None:
        return ERR_PTR(-ENOMEM)
    for i in range(priv.nr_ranges):
        out[i] = (int(priv.phys_vec[i].paddr), int(priv.phys_vec[i].len))
    return out


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_ic_bar_slice_map", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_ic_bar_slice_map(attach):
    """PCI BAR slice: (offset in the BAR, len) pairs of the exporting function's BAR."""
    priv = _priv(attach)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    start = int(pci_resource_start(priv.vdev.pdev, priv.provider.bar))
    out = kvmalloc_array(priv.nr_ranges, 16)
    if out is None:
        return ERR_PTR(-ENOMEM)
    for i in range(priv.nr_ranges):
        out[i] = (int(priv.phys_vec[i].paddr) - start, int(priv.phys_vec[i].len))
    return out


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_ic_list_unmap", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_ic_list_unmap(attach, addrs) -> None:
    """Free the offset/address array made by a list map."""
    kvfree(addrs)


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_ic_dma_map", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_ic_dma_map(attach):
    """generic dma_addr_t: 6.19's sg_table of DMA addresses for attach->dev."""
    priv = _priv(attach)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    return dma_buf_phys_vec_to_sgt(attach, priv.provider, priv.phys_vec, priv.nr_ranges, priv.size, 0,
                                   faithful=not fixed("sgt-helper"))


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_ic_dma_unmap", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_ic_dma_unmap(attach, sgt) -> None:
    """Unmap and free the sg_table made by ``vfio_ic_dma_map``."""
    dma_buf_free_sgt(attach, sgt, 0, faithful=not fixed("sgt-helper"))


vfio_phys_ops = dma_buf_interconnect_map_ops(name="vfio phys_addr_t", map=vfio_ic_phys_map,
                                             unmap=vfio_ic_list_unmap)


vfio_bar_slice_ops = dma_buf_interconnect_map_ops(name="vfio PCI BAR slice", map=vfio_ic_bar_slice_map,
                                                  unmap=vfio_ic_list_unmap)


vfio_dma_addr_ops = dma_buf_interconnect_map_ops(name="vfio dma_addr_t", map=vfio_ic_dma_map,
                                                 unmap=vfio_ic_dma_unmap)


def _accepts(priv, item) -> bool:
    ic, args = item.interconnect, item.interconnect_args
    pdev = priv.vdev.pdev
    if ic is dmabuf_phys_addr_t:
        return True
    if ic is dmabuf_pci_bar_slice:
        imp_pdev, bar = args
        return pdev.physfn is not None and imp_pdev is pdev.physfn and bar == priv.provider.bar
    if ic is dmabuf_generic_dma_addr_t:
        return hasattr(args, "bdf") and pci_p2pdma_distance(pdev, args) >= 0
    return False


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_negotiate", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_pci_dma_buf_negotiate(dmabuf, offer, n: int) -> int:
    """Run down the importer's offer; the first entry vfio can serve wins."""
    priv = dmabuf.priv
    return dma_buf_negotiate_first(offer, n, lambda item: _accepts(priv, item))


@mirrors("posting:offer-list:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_attach_interconnect", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def vfio_pci_dma_buf_attach_interconnect(dmabuf, attach) -> int:
    """Acknowledge the negotiated interconnect; -ENODEV when revoked."""
    priv = dmabuf.priv
    if priv.revoked:
        return -ENODEV
    ic = attach.interconnect
    ops = {id(dmabuf_phys_addr_t): vfio_phys_ops, id(dmabuf_pci_bar_slice): vfio_bar_slice_ops,
           id(dmabuf_generic_dma_addr_t): vfio_dma_addr_ops}.get(id(ic))
    if ops is None:
        return -EOPNOTSUPP
    attach.ic_ops = ops
    attach.interconnect_attach = True
    return 0


# The proposal adds to dma_buf_ops; the 6.19 callbacks stay for importers that never negotiate.
vfio_pci_dmabuf_ic_ops = dma_buf_ops_ic(attach=vfio_pci_dma_buf_attach, map_dma_buf=_sgt_map,
                                        unmap_dma_buf=_sgt_unmap,
                                        release=vfio_pci_dma_buf_release, negotiate=vfio_pci_dma_buf_negotiate,
                                        attach_interconnect=vfio_pci_dma_buf_attach_interconnect,
                                        name="vfio_pci_dmabuf_ops (interconnects)")
