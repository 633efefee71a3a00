"""iommufd under the offer list (offer-list): offers only ``phys_addr_t``."""
from __future__ import annotations

from dmabuf_lab.drivers.offer_importer import OfferImporter
from dmabuf_lab.revisions.offer_list import dma_buf_interconnect_negotiation, dmabuf_phys_addr_t


class IommufdOfferImporter(OfferImporter):
    name = "iommufd"

    def offer(self):
        return [dma_buf_interconnect_negotiation(dmabuf_phys_addr_t)]


def make_importer(session):
    return IommufdOfferImporter(session)
