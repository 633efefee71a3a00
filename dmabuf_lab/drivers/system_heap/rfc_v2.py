"""The system heap under rfc-v2: unchanged, no interconnects (mainline's exporter)."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline_6_19 import SystemHeapExporter


def make_exporter(session):
    return SystemHeapExporter(session)
