"""The system dma-heap under mainline: pages of system RAM, classic map/unmap.

Like drivers/dma-buf/heaps/system_heap.c: no attach restrictions, an
sg_table of the pages mapped for the importer's device; never P2P.
"""
from __future__ import annotations

from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_export, dma_buf_put
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.kmodel import kfree, kstruct, kzalloc, ENOMEM, KernelError
from dmabuf_lab.revisions.base import ExporterDriver
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.heaps.system_heap.mainline_6_19 import HEAP_BASE, system_heap_buffer, system_heap_map_dma_buf, system_heap_unmap_dma_buf, system_heap_dma_buf_release, system_heap_buf_ops  # noqa: F401


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
