"""struct dma_buf_attachment: one device's link to one dma-buf.

Later revisions add fields (an interconnect, a mapping type, ``allow_ic``)
by subclassing :class:`dma_buf_attachment` with a longer ``fields`` tuple and
passing the subclass to ``dma_buf_dynamic_attach(..., attachment_type=...)``.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import kstruct
from dmabuf_lab.twins import mirrors


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


@mirrors("gregkh/linux@73e7709d9919:include/linux/dma-buf.h:dma_buf_attachment_is_dynamic", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_attachment_is_dynamic(attach) -> bool:
    """True when the importer gave importer_ops, i.e. handles move_notify."""
    return attach.importer_ops is not None
