"""The legacy static sg_table importer under get-pfn: unchanged source.

It calls ``dma_buf_attach()``, so a buffer with pin/unpin is pinned at
attach; vfio's RFC exporter refuses every pin (-EINVAL).  It knows nothing
of PFNs, in every mode.
"""
from __future__ import annotations

from dmabuf_lab.drivers.pfn_importer import GetPfnSgtImporter


class LegacyImporter(GetPfnSgtImporter):
    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter(session)
