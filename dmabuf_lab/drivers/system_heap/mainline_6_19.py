"""The system dma-heap under mainline: pages of system RAM, classic map/unmap.

Like drivers/dma-buf/heaps/system_heap.c: no attach restrictions, an
sg_table of the pages mapped for the importer's device; never P2P.
"""
from __future__ import annotations

from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.core.dma_buf import dma_buf_export, dma_buf_put
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.kmodel import kfree, kstruct, kzalloc, ENOMEM, KernelError
from dmabuf_lab.revisions.base import ExporterDriver
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


class SystemHeapExporter(ExporterDriver):
    ops = system_heap_buf_ops
    export_fn = staticmethod(dma_buf_export)

    def __init__(self, session):
        super().__init__(session)
        self.dmabuf = None

    def export(self):
        buf = kzalloc(system_heap_buffer)
        if buf is None:
            raise KernelError(-ENOMEM, "system heap: buffer")
        buf.len = int(sum(ln for _, ln in self.s.exporter.ranges) or 2 << 20)
        self.s.shared["p2p_memory"] = False
        dmabuf = self.export_fn(dma_buf_export_info(ops=self.ops, priv=buf, size=buf.len,
                                                    exp_name="system"))
        if not hasattr(dmabuf, "priv"):
            kfree(buf)
        self.dmabuf = check_ptr(dmabuf, "system heap: dma_buf_export")
        return self.dmabuf

    def release(self) -> None:
        if self.dmabuf is not None:
            dma_buf_put(self.dmabuf)
            self.dmabuf = None


def make_exporter(session):
    return SystemHeapExporter(session)
