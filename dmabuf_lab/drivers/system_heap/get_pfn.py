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


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/heaps/system_heap.c:system_heap_get_pfn", gap="the get_pfn RFC adds the callback to the core only; a system-heap get_pfn is the lab's, written to its contract")
def system_heap_get_pfn(attach, pgoff: int) -> tuple[int, int, int]:
    """PFN of page ``pgoff`` of the heap buffer (lab-written for the importer-maps mode)."""
    buf = attach.dmabuf.priv
    offset = pgoff << PAGE_SHIFT
    if offset >= buf.len:
        return -EINVAL, 0, 0
    return 0, (HEAP_BASE + offset) >> PAGE_SHIFT, 0


system_heap_buf_ops_pfn = dma_buf_ops_pfn(map_dma_buf=system_heap_map_dma_buf,
                                          unmap_dma_buf=system_heap_unmap_dma_buf,
                                          release=system_heap_dma_buf_release, get_pfn=system_heap_get_pfn,
                                          name="system_heap_buf_ops (+get_pfn)")


class GetPfnSystemHeapExporter(SystemHeapExporter):
    export_fn = staticmethod(dma_buf_export)

    def export(self):
        if importer_maps():
            self.ops = system_heap_buf_ops_pfn
        return super().export()


def make_exporter(session):
    return GetPfnSystemHeapExporter(session)
