"""drivers/dma-buf/heaps/system_heap.c as in Linux 6.19: the heap buffer's map, unmap and release."""
from __future__ import annotations

from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.kmodel import kfree, kstruct
from dmabuf_lab.twins import mirrors


#: Where the model places the heap's pages.
HEAP_BASE = 0x2_0000_0000


class system_heap_buffer(kstruct):
    """struct system_heap_buffer, reduced: its size."""

    fields = (("len", 0),)


@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/heaps/system_heap.c:system_heap_map_dma_buf", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def system_heap_map_dma_buf(attach, direction):
    """Map the heap pages for ``attach.dev``."""
    return sg_table_from_ranges([(HEAP_BASE, attach.dmabuf.priv.len)])


@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/heaps/system_heap.c:system_heap_unmap_dma_buf", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def system_heap_unmap_dma_buf(attach, sgt, direction) -> None:
    """Free the sg_table made by ``system_heap_map_dma_buf``."""
    sg_table_free(sgt)


@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/heaps/system_heap.c:system_heap_dma_buf_release", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def system_heap_dma_buf_release(dmabuf) -> None:
    """Last reference gone: free the heap buffer."""
    kfree(dmabuf.priv)


system_heap_buf_ops = dma_buf_ops(map_dma_buf=system_heap_map_dma_buf,
                                  unmap_dma_buf=system_heap_unmap_dma_buf,
                                  release=system_heap_dma_buf_release, name="system_heap_buf_ops")
