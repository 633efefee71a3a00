"""xe under the offer list (offer-list).

Importer (the PF): offers ``[PCI BAR slice of (me, LMEM_BAR), generic
dma_addr_t for me]``, so a VF's VRAM exported by vfio comes as BAR offsets
the PF can turn into VRAM addresses, and anything else as DMA addresses.

Exporter (a VRAM BO): accepts the interconnect of *its own* VRAM ("VRAM
offset within this specific VRAM memory", ``xe->xe_vram``) and the generic
``dma_addr_t`` for a device that can reach it by P2P or when the BO can move
to system memory; an importer of the own-VRAM interconnect gets the BO's
VRAM ranges (DPA, length).
"""
from __future__ import annotations

from dmabuf_lab.drivers.common import spec_device
from dmabuf_lab.drivers.offer_importer import OfferImporter
from dmabuf_lab.drivers.xe.bo import (LMEM_BAR, XE_PL_TT, p2p_distance, xe_bo_can_migrate,
                                      xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import (XeExporter, xe_dma_buf_attach, xe_dma_buf_map,
                                            xe_dma_buf_release, xe_dma_buf_unmap)
from dmabuf_lab.kmodel import ENOMEM, EOPNOTSUPP, ERR_PTR, kvfree, kvmalloc_array
from dmabuf_lab.revisions.offer_list import (dma_buf_interconnect, dma_buf_interconnect_map_ops,
                                             dma_buf_interconnect_negotiation, dma_buf_negotiate_first,
                                             dma_buf_ops_ic, dmabuf_generic_dma_addr_t, dmabuf_pci_bar_slice)
from dmabuf_lab.twins import mirrors


def xe_vram_interconnect(pdev) -> dma_buf_interconnect:
    """The interconnect object of one device's VRAM (created once, kept on the device)."""
    ic = getattr(pdev, "_xe_vram_ic", None)
    if ic is None:
        ic = dma_buf_interconnect(f"xe VRAM of {pdev.bdf}", "private", owner=pdev.vram)
        pdev._xe_vram_ic = ic
    return ic


@mirrors("posting:offer-list:drivers/gpu/drm/xe/xe_dma_buf.c:xe_ic_vram_map", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def xe_ic_vram_map(attach):
    """Private VRAM interconnect: the BO's (DPA, length) ranges as an array."""
    bo = attach.dmabuf.priv
    out = kvmalloc_array(len(bo.lmem.ranges), 16)
    if out is None:
        return ERR_PTR(-ENOMEM)
    for i, (dpa, ln) in enumerate(bo.lmem.ranges):
        out[i] = (dpa, ln)
    return out


@mirrors("posting:offer-list:drivers/gpu/drm/xe/xe_dma_buf.c:xe_ic_vram_unmap", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def xe_ic_vram_unmap(attach, addrs) -> None:
    """Free the array made by ``xe_ic_vram_map``."""
    kvfree(addrs)


@mirrors("posting:offer-list:drivers/gpu/drm/xe/xe_dma_buf.c:xe_ic_dma_map", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def xe_ic_dma_map(attach):
    """Generic dma_addr_t interconnect: an sg_table, through the BAR when P2P reaches."""
    bo = attach.dmabuf.priv
    p2p = p2p_distance(bo.pdev, attach.dev) >= 0
    return xe_dma_buf_map_common(bo, p2p, getattr(bo, "session", None))


@mirrors("posting:offer-list:drivers/gpu/drm/xe/xe_dma_buf.c:xe_ic_dma_unmap", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def xe_ic_dma_unmap(attach, sgt) -> None:
    """Undo ``xe_ic_dma_map``."""
    xe_dma_buf_unmap_common(sgt)


xe_vram_ops = dma_buf_interconnect_map_ops(name="xe VRAM offsets", map=xe_ic_vram_map, unmap=xe_ic_vram_unmap)
xe_dma_addr_ops = dma_buf_interconnect_map_ops(name="xe dma_addr_t", map=xe_ic_dma_map, unmap=xe_ic_dma_unmap)


def _accepts(bo, item) -> bool:
    ic = item.interconnect
    if ic is getattr(bo.pdev, "_xe_vram_ic", None):
        return True
    if ic is dmabuf_generic_dma_addr_t:
        return p2p_distance(bo.pdev, item.interconnect_args) >= 0 or xe_bo_can_migrate(bo, XE_PL_TT)
    return False


@mirrors("posting:offer-list:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_negotiate", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def xe_dma_buf_negotiate(dmabuf, offer, n: int) -> int:
    """Index of the first offer entry xe can serve (own VRAM, or dma_addr_t it can reach or migrate for)."""
    bo = dmabuf.priv
    return dma_buf_negotiate_first(offer, n, lambda item: _accepts(bo, item))


@mirrors("posting:offer-list:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_attach_interconnect", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def xe_dma_buf_attach_interconnect(dmabuf, attach) -> int:
    """Pick the map ops for the negotiated interconnect; -EOPNOTSUPP for any other."""
    bo = dmabuf.priv
    if attach.interconnect is getattr(bo.pdev, "_xe_vram_ic", None):
        attach.ic_ops = xe_vram_ops
    elif attach.interconnect is dmabuf_generic_dma_addr_t:
        attach.ic_ops = xe_dma_addr_ops
    else:
        return -EOPNOTSUPP
    attach.interconnect_attach = True
    return 0


xe_dmabuf_ic_ops = dma_buf_ops_ic(attach=xe_dma_buf_attach, map_dma_buf=xe_dma_buf_map,
                                  unmap_dma_buf=xe_dma_buf_unmap, release=xe_dma_buf_release, negotiate=xe_dma_buf_negotiate,
                                  attach_interconnect=xe_dma_buf_attach_interconnect,
                                  name="xe_dmabuf_ops (interconnects)")


class OfferXeExporter(XeExporter):
    ops = xe_dmabuf_ic_ops

    def export(self):
        xe_vram_interconnect(self.pdev)
        return super().export()


class OfferXeImporter(OfferImporter):
    """Options: ``offer`` = list of "bar-slice", "vram", "dma-addr" to reorder or trim the offer."""

    name = "xe"

    def offer(self):
        me = spec_device(self.s, "importer")
        entries = {
            "bar-slice": dma_buf_interconnect_negotiation(dmabuf_pci_bar_slice, (me, LMEM_BAR)),
            "vram": dma_buf_interconnect_negotiation(xe_vram_interconnect(me)),
            "dma-addr": dma_buf_interconnect_negotiation(dmabuf_generic_dma_addr_t, me),
        }
        order = self.s.importer.option("offer", ["bar-slice", "vram", "dma-addr"])
        return [entries[name] for name in order]


def make_exporter(session):
    return OfferXeExporter(session)


def make_importer(session):
    return OfferXeImporter(session)
