"""The legacy static importer under Linux 7.1: dma_buf_attach() + map, no importer_ops.

A static attachment is neither P2P nor revocable, so vfio refuses it at
attach exactly as in 6.19 (-EOPNOTSUPP from the peer2peer test).
"""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73


class LegacyImporter73(SgtImporter73):
    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter73(session)
