"""The system heap under mapping types: an unaware exporter (classic
map/unmap), matched through the core's ``dma_buf_sgt_exp_compat_match``."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline_6_19 import SystemHeapExporter
from dmabuf_lab.revisions.mapping_types_2026_02 import dma_buf_export


class MtSystemHeapExporter(SystemHeapExporter):
    export_fn = staticmethod(dma_buf_export)


def make_exporter(session):
    return MtSystemHeapExporter(session)
