"""The legacy static importer under the offer list (offer-list): it never negotiates, and
mainline's ``dma_buf_attach()`` path is unchanged by the proposal."""
from __future__ import annotations

from dmabuf_lab.drivers.legacy.mainline_6_19 import LegacyImporter


def make_importer(session):
    return LegacyImporter(session)
