"""A minimal sg_table importer for tests and scenarios.

It attaches one device statically or dynamically, maps and unmaps with the
locking the core expects, and on move_notify drops its mapping (with the
reservation lock the exporter holds) and counts the call, as a real
dynamic importer would before re-mapping lazily.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import IS_ERR

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import (dma_buf_attach, dma_buf_detach, dma_buf_dynamic_attach,
                      dma_buf_map_attachment, dma_buf_map_attachment_unlocked,
                      dma_buf_unmap_attachment, dma_buf_unmap_attachment_unlocked)
from .dma_mapping import DMA_BIDIRECTIONAL
from .ops import dma_buf_attach_ops


class sgt_importer:
    """One device importing one dma-buf through sg_tables.

    ``dynamic`` chooses dma_buf_dynamic_attach() with ``allow_peer2peer``;
    otherwise dma_buf_attach().  ``moves`` counts move_notify calls;
    ``sgt`` is the live mapping or None.
    """

    def __init__(self, dev, *, dynamic: bool = True, allow_peer2peer: bool = True,
                 direction: int = DMA_BIDIRECTIONAL):
        self.dev = dev
        self.dynamic = dynamic
        self.direction = direction
        self.moves = 0
        self.attach = None
        self.sgt = None
        self.ops = dma_buf_attach_ops(allow_peer2peer=allow_peer2peer,
                                      move_notify=self._move_notify,
                                      name="sgt_importer") if dynamic else None

    def _move_notify(self, attach) -> None:
        """Drop the mapping; the exporter holds the reservation lock."""
        self.moves += 1
        if self.sgt is not None:
            dma_buf_unmap_attachment(attach, self.sgt, self.direction)
            self.sgt = None

    def do_attach(self, dmabuf):
        """Attach; returns the attachment or the ERR_PTR."""
        if self.dynamic:
            a = dma_buf_dynamic_attach(dmabuf, self.dev, self.ops, self)
        else:
            a = dma_buf_attach(dmabuf, self.dev)
        if not IS_ERR(a):
            self.attach = a
        return a

    def do_map(self, *, locked: bool = False):
        """Map; ``locked`` means the caller holds the reservation lock already."""
        if locked:
            sgt = dma_buf_map_attachment(self.attach, self.direction)
        else:
            sgt = dma_buf_map_attachment_unlocked(self.attach, self.direction)
        if not IS_ERR(sgt):
            self.sgt = sgt
        return sgt

    def do_unmap(self, *, locked: bool = False) -> None:
        """Unmap the live mapping, if any."""
        if self.sgt is None:
            return
        if locked:
            dma_buf_unmap_attachment(self.attach, self.sgt, self.direction)
        else:
            dma_buf_unmap_attachment_unlocked(self.attach, self.sgt, self.direction)
        self.sgt = None

    def do_detach(self) -> None:
        """Detach (after unmapping)."""
        if self.attach is not None:
            dma_buf_detach(self.attach.dmabuf, self.attach)
            self.attach = None
