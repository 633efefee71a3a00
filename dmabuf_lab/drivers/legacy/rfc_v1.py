"""The legacy static importer under RFC v1: ``dma_buf_attach()`` + ``dma_buf_map_attachment()``.

No importer_ops, so no ``supports_interconnects``: ``allow_ic`` stays clear
and the exporter sees a plain static attachment
(the RFC v1 thread (2025-10-14), patch 2 only sets ``allow_ic`` for dynamic
importers).  See :mod:`dmabuf_lab.drivers.sgt_importer_rfc_v1` for the
``map_via`` probe.
"""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_rfc_v1 import RfcV1SgtImporter


class LegacyImporter(RfcV1SgtImporter):
    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter(session)
