"""The system heap under rfc-v2: unchanged, no interconnects (mainline's exporter)."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mainline import SystemHeapExporter


def make_exporter(session):
    return SystemHeapExporter(session)
