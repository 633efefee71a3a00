"""RDMA under the offer list (offer-list).

Offers the generic ``dma_addr_t`` for its device.  The scenario option
``wants = ["dma-addr", "phys"]`` builds the offer from those names, in
that order (``phys`` is ``phys_addr_t``), to show that the importer's
order decides.
"""
from __future__ import annotations

from dmabuf_lab.drivers.common import importer_dev
from dmabuf_lab.drivers.offer_importer import OfferImporter
from dmabuf_lab.revisions.offer_list import (dma_buf_interconnect_negotiation, dmabuf_generic_dma_addr_t,
                                             dmabuf_phys_addr_t)


class RdmaOfferImporter(OfferImporter):
    name = "rdma"

    def offer(self):
        dev = importer_dev(self.s, "rdma")
        entries = {"dma-addr": lambda: dma_buf_interconnect_negotiation(dmabuf_generic_dma_addr_t, dev),
                   "phys": lambda: dma_buf_interconnect_negotiation(dmabuf_phys_addr_t)}
        return [entries[w]() for w in self.s.importer.option("wants", ["dma-addr"])]


def make_importer(session):
    return RdmaOfferImporter(session)
