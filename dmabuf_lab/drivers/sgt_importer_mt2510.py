"""The sg_table importer under mapping-types-2025-10 (R5): unchanged driver code over the
core's compat wrappers, which build its SGT match list.  What it holds is read
from ``attach->map_type`` (``sgt`` once the exporter has moved the buffer to
system memory, whatever type matched)."""
from __future__ import annotations

from types import SimpleNamespace

from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.revisions import mapping_types_2025_10 as mt

MT2510_CORE = SimpleNamespace(
    dma_buf_attach=mt.dma_buf_attach,
    dma_buf_dynamic_attach=mt.dma_buf_dynamic_attach,
    dma_buf_detach=mt.dma_buf_detach,
    dma_buf_map_attachment=mt.dma_buf_map_attachment,
    dma_buf_unmap_attachment=mt.dma_buf_unmap_attachment,
)


class Mt2510SgtImporter(SgtImporter):
    def __init__(self, session):
        super().__init__(session, core=MT2510_CORE)

    def _kind(self) -> str:
        # As under the 2026-02 RFC (sgt_importer_mt.py): an exporter that has
        # moved the buffer to system memory hands out system pages through
        # the SGT_P2P match it made at attach; that is not P2P.
        kind = mt.mapping_kind(self.attachment)
        if kind == "sgt-p2p" and self.s.shared.get("p2p_memory") is False:
            return "sgt"
        return kind
