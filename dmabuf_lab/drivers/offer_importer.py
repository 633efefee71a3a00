"""The importer side of the offer-list proposal (offer-list), shared by its importers.

An importer lists the interconnects it can use, most preferred first
(:meth:`OfferImporter.offer`), asks ``dma_buf_negotiate()`` which one the
exporter takes, attaches with ``dma_buf_attach_interconnect()`` and maps
through the interconnect's own ops.  Its ``move_notify`` drops the mapping.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.kmodel import EOPNOTSUPP, KernelError, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import offer_list as ol
from dmabuf_lab.revisions.base import ImporterDriver


class OfferImporter(ImporterDriver):
    name = "offer importer"

    def __init__(self, session):
        super().__init__(session)
        self.dmabuf = None
        self.attachment = None
        self.addrs = None
        self.chosen = None

    def offer(self) -> list:
        """The importer_offer[] array, most preferred first."""
        raise NotImplementedError

    def move_notify(self, attach) -> None:
        self.s.log(f"{self.name}: move_notify")
        if self.mapped:
            ol.dma_buf_interconnect_unmap(attach, self.addrs)
            self.addrs = None
            self.mapped = False

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        offer = self.offer()
        idx = ol.dma_buf_negotiate(dmabuf, offer, len(offer))
        if idx < 0:
            raise KernelError(-EOPNOTSUPP, f"{self.name}: dma_buf_negotiate found nothing ({idx})")
        self.chosen = offer[idx]
        self.s.log(f"{self.name}: negotiated offer[{idx}] = {self.chosen.interconnect.name}")
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify,
                                 name=f"{self.name} attach ops")
        self.attachment = check_ptr(ol.dma_buf_attach_interconnect(dmabuf, self.chosen, ops, self),
                                    f"{self.name}: dma_buf_attach_interconnect")
        self.attached = True
        self.kind = self.chosen.interconnect.kind

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            addrs = ol.dma_buf_interconnect_map(self.attachment)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.addrs = check_ptr(addrs, f"{self.name}: map over {self.chosen.interconnect.name}")
        self.mapped = True

    def unmap(self) -> None:
        if not self.mapped:
            return
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.mapped:          # move_notify may have dropped it while we waited for the lock
                ol.dma_buf_interconnect_unmap(self.attachment, self.addrs)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.addrs = None
        self.mapped = False

    def detach(self) -> None:
        if self.attached:
            ol.dma_buf_detach_interconnect(self.attachment)
            self.attachment = None
            self.attached = False
            # what is still mapped went with the attachment: left to the leak scan
            self.addrs, self.mapped = None, False
