"""The sg_table importer under mapping types (RFC 2026-02): same driver code,
the series' ``dma_buf_attach`` / ``dma_buf_dynamic_attach`` wrappers underneath.

What the importer holds is read from ``attach->map_type``: ``sgt-p2p`` when
the exporter's P2P-requiring SGT entry matched and the buffer is in device
memory (an exporter that has since moved it to system memory hands out
system pages through the same match), else ``sgt``; ``pal`` for PAL.
"""
from __future__ import annotations

from types import SimpleNamespace

from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.revisions import mapping_types_2026_02 as mt

MT_CORE = SimpleNamespace(
    dma_buf_attach=mt.dma_buf_attach,
    dma_buf_dynamic_attach=mt.dma_buf_dynamic_attach,
    dma_buf_detach=mt.dma_buf_detach,
    dma_buf_map_attachment=mt.dma_buf_map_attachment,
    dma_buf_unmap_attachment=mt.dma_buf_unmap_attachment,
)


class MtSgtImporter(SgtImporter):
    def __init__(self, session):
        super().__init__(session, core=MT_CORE)

    def _kind(self) -> str:
        kind = mt.mapping_kind(self.attachment)
        if kind == "sgt-p2p" and self.s.shared.get("p2p_memory") is False:
            return "sgt"
        return kind
