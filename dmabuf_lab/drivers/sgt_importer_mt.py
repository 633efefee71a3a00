"""The sg_table importer under mapping types: same driver code, the revision's
``dma_buf_attach`` / ``dma_buf_dynamic_attach`` compat wrappers underneath,
which build its SGT match list.

:class:`MtSgtImporter` runs over the RFC of 2026-02,
:class:`Mt2510SgtImporter` over the design of 2025-10 (mapping-types-2025-10).  What the importer
holds is read from ``attach->map_type``: ``sgt-p2p`` when the exporter's
P2P-requiring SGT entry matched and the buffer is in device memory (an
exporter that has since moved it to system memory hands out system pages
through the same match; that is not P2P), else ``sgt``; ``pal`` for PAL.
"""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.revisions import mapping_types_2025_10, mapping_types_2026_02


class MtSgtImporter(SgtImporter):
    core = mapping_types_2026_02

    def _kind(self) -> str:
        kind = self.core.mapping_kind(self.attachment)
        if kind == "sgt-p2p" and self.s.shared.get("p2p_memory") is False:
            return "sgt"
        return kind


class Mt2510SgtImporter(MtSgtImporter):
    core = mapping_types_2025_10
