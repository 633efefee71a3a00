"""The legacy static sg_table importer under mapping-types-2025-10: unchanged source;
``dma_buf_attach()`` hands the core ``[SGT(dev, no P2P)]`` (the compat list)."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_mt import Mt2510SgtImporter


class LegacyImporter(Mt2510SgtImporter):
    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter(session)
