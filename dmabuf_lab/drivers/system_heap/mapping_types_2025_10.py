"""The system heap under mapping-types-2025-10: declares no types; the core matches
it through its SGT compat entry (classic ``map_dma_buf``)."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline_6_19 import SystemHeapExporter
from dmabuf_lab.revisions.mapping_types_2025_10 import dma_buf_export


class Mt2510SystemHeapExporter(SystemHeapExporter):
    export_fn = staticmethod(dma_buf_export)


def make_exporter(session):
    return Mt2510SystemHeapExporter(session)
