"""A peer GPU over a private link under the offer list (offer-list).

It offers first the interconnect of the VRAM it is linked to (option
``link_to``: the bdf of the GPU whose VRAM it reaches over the link, i.e.
Thomas's "VRAM offset within this specific VRAM memory" / "IOVA for this
initiator on a private interconnect"), then the generic ``dma_addr_t``.
"""
from __future__ import annotations

from dmabuf_lab.drivers.common import importer_dev
from dmabuf_lab.drivers.offer_importer import OfferImporter
from dmabuf_lab.drivers.xe.offer_list import xe_vram_interconnect
from dmabuf_lab.revisions.offer_list import dma_buf_interconnect_negotiation, dmabuf_generic_dma_addr_t


class PeerGpuOfferImporter(OfferImporter):
    name = "peer-gpu"

    def offer(self):
        out = []
        link = self.s.importer.option("link_to")
        if link:
            out.append(dma_buf_interconnect_negotiation(xe_vram_interconnect(self.s.topology.device(link))))
        out.append(dma_buf_interconnect_negotiation(dmabuf_generic_dma_addr_t, importer_dev(self.s, "peer-gpu")))
        return out


def make_importer(session):
    return PeerGpuOfferImporter(session)
