"""The system heap under the offer list (offer-list): an exporter without interconnect
support, reached through the core's generic ``dma_addr_t`` fallback."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline_6_19 import SystemHeapExporter


def make_exporter(session):
    return SystemHeapExporter(session)
