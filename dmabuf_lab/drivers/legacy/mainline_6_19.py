"""The legacy static importer under mainline: dma_buf_attach() + dma_buf_map_attachment()."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer import SgtImporter


class LegacyImporter(SgtImporter):
    """Only knows sg_table; attaches statically (no move_notify, no P2P)."""

    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter(session)
