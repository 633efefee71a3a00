"""An importer of physical address lists under mapping-types-2025-10.

Attaches with ``[PAL]`` through ``dma_buf_mapping_attach()`` — dynamic only,
so a scenario's ``dynamic = false`` passes no importer ops and is refused
(-EINVAL) — and, under the reservation lock, takes the list with
``dma_buf_pal_map_phys()`` and gives it back at unmap.  Its ``move_notify``
drops the table.  Holds ``pal``.
"""
from __future__ import annotations

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, device
from dmabuf_lab.drivers.resv_importer import ResvImporter
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions import mapping_types_2025_10 as mt


class Mt2510PalImporter(ResvImporter):
    """Keeps its own unmap and move_notify: its unmap clears ``lst`` and
    ``mapped`` after dropping the reservation lock, not under it."""

    name = "pal importer"
    core = mt

    def __init__(self, session):
        super().__init__(session)
        self.dynamic = True if session.importer.dynamic is None else session.importer.dynamic
        self.dev = device(self.name)
        self.dmabuf = None
        self.attachment = None
        self.lst = None

    def move_notify(self, attach) -> None:
        self.s.log(f"{self.name}: move_notify")
        if self.mapped:
            mt.dma_buf_pal_unmap_phys(attach, self.lst)
            self.lst = None
            self.mapped = False

    def attach(self, dmabuf) -> None:
        ops = (dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify,
                                  name=f"{self.name} attach ops") if self.dynamic else None)
        self._mapping_attach(dmabuf, [mt.DMA_BUF_IMAPPING_PAL()], ops)

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            self.lst = check_ptr(mt.dma_buf_pal_map_phys(self.attachment), f"{self.name}: dma_buf_pal_map_phys")
            self.s.log(f"{self.name}: {self.lst.length} physical range(s)")
            self.mapped = True
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def unmap(self) -> None:
        if not self.mapped:
            return
        dma_resv_lock(self.dmabuf.resv)
        try:
            mt.dma_buf_pal_unmap_phys(self.attachment, self.lst)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.lst = None
        self.mapped = False
