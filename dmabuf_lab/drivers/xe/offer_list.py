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
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import (LMEM_BAR, XE_PL_TT, p2p_distance, xe_bo_can_migrate)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import (xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import (XeExporter, xe_dma_buf_attach, xe_dma_buf_map,
                                            xe_dma_buf_release, xe_dma_buf_unmap)
from dmabuf_lab.kmodel import ENOMEM, EOPNOTSUPP, ERR_PTR, kvfree, kvmalloc_array
from dmabuf_lab.revisions.offer_list import (dma_buf_interconnect, dma_buf_interconnect_map_ops,
                                             dma_buf_interconnect_negotiation, dma_buf_negotiate_first,
                                             dma_buf_ops_ic, dmabuf_generic_dma_addr_t, dmabuf_pci_bar_slice)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.offer_list import xe_vram_interconnect, xe_ic_vram_map, xe_ic_vram_unmap, xe_ic_dma_map, xe_ic_dma_unmap, xe_vram_ops, xe_dma_addr_ops, _accepts, xe_dma_buf_negotiate, xe_dma_buf_attach_interconnect, xe_dmabuf_ic_ops  # noqa: F401


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
