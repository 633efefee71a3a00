"""struct dma_buf_attachment: one device's link to one dma-buf.

Later revisions add fields (an interconnect, a mapping type, ``allow_ic``)
by subclassing :class:`dma_buf_attachment` with a longer ``fields`` tuple and
passing the subclass to ``dma_buf_dynamic_attach(..., attachment_type=...)``.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import kstruct
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.include.linux.dma_buf_h.mainline_6_19 import dma_buf_attachment_is_dynamic  # noqa: F401


class dma_buf_attachment(kstruct):
    """The C struct's members, plus ``nr_mappings`` (lab bookkeeping).

    ``peer2peer`` copies ``importer_ops.allow_peer2peer``; ``importer_ops``
    is NULL for a static importer.  ``priv`` belongs to the exporter and
    ``importer_priv`` to the importer.  ``nr_mappings`` counts live
    dma_buf_map_attachment() results so that detaching with a mapping still
    held is reported as a leak.
    """

    fields = ("dmabuf", "dev", "node", ("peer2peer", False), "importer_ops", "importer_priv",
              "priv", ("nr_mappings", 0))


