"""RDMA under get-pfn.

posted / exporter-maps: unchanged, ``dma_buf_dynamic_attach()`` with
``allow_peer2peer`` and ``dma_buf_map_attachment()`` (the exporter maps).
importer-maps: takes PFNs and maps them itself; having to size its page
table first, it walks the one-page-per-call API twice
(:class:`~dmabuf_lab.drivers.pfn_importer.PfnDmaImporter`).
"""
from __future__ import annotations

from dmabuf_lab.drivers.pfn_importer import make_device_importer


def make_importer(session):
    return make_device_importer(session, "rdma")
