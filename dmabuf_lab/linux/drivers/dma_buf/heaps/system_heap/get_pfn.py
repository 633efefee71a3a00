"""drivers/dma-buf/heaps/system_heap.c under the get_pfn RFC: the 6.19 heap plus get_pfn."""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SHIFT
from dmabuf_lab.drivers.system_heap.mainline_6_19 import HEAP_BASE
from dmabuf_lab.linux.drivers.dma_buf.heaps.system_heap.mainline_6_19 import (system_heap_dma_buf_release, system_heap_map_dma_buf, system_heap_unmap_dma_buf)
from dmabuf_lab.kmodel import EINVAL
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.get_pfn import dma_buf_ops_pfn
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
