"""The legacy static importer under the offer list (offer-list): it never negotiates, and
mainline's ``dma_buf_attach()`` path is unchanged by the proposal."""
from __future__ import annotations

from dmabuf_lab.drivers.legacy.mainline import LegacyImporter


def make_importer(session):
    return LegacyImporter(session)
