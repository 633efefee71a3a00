"""The system dma-heap under Linux 7.1: unchanged from 6.19 (no pin, no revoke)."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline_6_19 import SystemHeapExporter


def make_exporter(session):
    return SystemHeapExporter(session)
