"""The system heap under get-pfn.

posted / exporter-maps: unchanged (the RFC touched only vfio-pci), so it has
``map_dma_buf`` and no ``get_pfn``.  importer-maps: it also answers
``get_pfn`` with the PFN of the page at ``pgoff`` (system RAM: a PFN *and* a
struct page), order 0.
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SHIFT
from dmabuf_lab.drivers.system_heap.mainline_6_19 import (HEAP_BASE, SystemHeapExporter, system_heap_dma_buf_release,
                                                     system_heap_map_dma_buf, system_heap_unmap_dma_buf)
from dmabuf_lab.kmodel import EINVAL
from dmabuf_lab.revisions.get_pfn import dma_buf_export, dma_buf_ops_pfn, importer_maps
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.heaps.system_heap.get_pfn import system_heap_get_pfn, system_heap_buf_ops_pfn  # noqa: F401


class GetPfnSystemHeapExporter(SystemHeapExporter):
    export_fn = staticmethod(dma_buf_export)

    def export(self):
        if importer_maps():
            self.ops = system_heap_buf_ops_pfn
        return super().export()


def make_exporter(session):
    return GetPfnSystemHeapExporter(session)
