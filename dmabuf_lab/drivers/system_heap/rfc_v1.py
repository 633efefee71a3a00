"""The system dma-heap under RFC v1: unchanged (no ``interconnect_ops``).

It never calls an importer's ``supports_interconnects``, so an importer that
has one keeps ``allow_ic`` set with ``interconnect.type == NONE``
(the RFC v1 thread (2025-10-14), patch 2: only a failed match clears it).
"""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline_6_19 import SystemHeapExporter


def make_exporter(session):
    return SystemHeapExporter(session)
