"""The sg_table importer under rfc-v2: mainline driver code over the v2 attach
(which allocates the attachment with ``allow_ic``); it never offers interconnects.

RDMA-like importers record how often they walked the address list: an
sg_table (like every flat container) carries its entry count, so the
hardware page table is sized and filled in one walk.
"""
from __future__ import annotations

from dmabuf_lab.addr import for_each_sgtable_dma_sg
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.revisions import rfc_v2


class V2SgtImporter(SgtImporter):
    core = rfc_v2


def count_walk(importer, sgt) -> int:
    """Size a hardware table from a flat list: ``nents`` is known, one walk fills it."""
    n = 0
    for _ in for_each_sgtable_dma_sg(sgt):
        n += 1
    importer.walks = getattr(importer, "walks", 0) + 1
    importer.s.shared[f"{importer.name}_walks"] = importer.walks
    importer.s.log(f"{importer.name}: table of {sgt.nents} entries sized from nents and filled "
                   f"in walk {importer.walks} ({n} entries)")
    return n
