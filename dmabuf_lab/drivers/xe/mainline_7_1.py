"""xe under Linux 7.1: the 6.19 exporter and importer with the renamed notification.

The exporter's move is 6.19's (:func:`dmabuf_lab.drivers.xe.mainline_6_19.xe_bo_move_body`:
refused when pinned, notification under the lock, the copy ordered after
the BO's fences, the shared placement write and the move count) with
dma_buf_invalidate_mappings() in place of dma_buf_move_notify()
(95308225e5ba, the only change to this path between 6.19 and 7.x).  The
importer is xe's 7.1 ``xe_gem_prime_import`` (BO created first, attached
after: 981bedbbe613, 155a372a1cc5; adapter
:class:`dmabuf_lab.drivers.xe.prime_import.XeImporter71`), with
``invalidate_mappings``, over the 7.1 core, where only a static importer is
pinned at map time.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_invalidate_mappings
from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter


class XeExporter73(XeExporter):
    """The VRAM exporter; eviction notifies through dma_buf_invalidate_mappings()."""

    notify = staticmethod(dma_buf_invalidate_mappings)
    kconfig_move_notify = False        # 609fc8766d68 removed the option


class XeImporter73(SgtImporter73):
    """The xe PF importing an sg_table (dynamic, allow_peer2peer, invalidate_mappings)."""

    name = "xe"
    default_dynamic = True


def make_exporter(session):
    return XeExporter73(session)


def make_importer(session):
    from dmabuf_lab.drivers.xe.prime_import import XeImporter71
    return XeImporter71(session)
