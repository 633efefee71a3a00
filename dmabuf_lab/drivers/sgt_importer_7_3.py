"""The mainline sg_table importer after the revoke series (Linux 7.1 and later).

Identical to :class:`~dmabuf_lab.drivers.sgt_importer.SgtImporter` except
that it calls the 7.3 core (:mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1`) and puts
its notification in ``dma_buf_attach_ops.invalidate_mappings``
(ef246da8e63c renamed ``move_notify`` in every in-tree importer).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as dma_buf_7_3
from dmabuf_lab.drivers.sgt_importer import SgtImporter


class SgtImporter73(SgtImporter):
    """An sg_table importer written against Linux 7.3."""

    core = dma_buf_7_3
    notify_member = "invalidate_mappings"
