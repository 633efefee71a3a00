"""A peer GPU over a private link under mapping-types-2025-10.

The design lets a driver define its own type with its own types, so the
link is expressible: the importer lists ``[XE_VRAM(the GPU it is linked to),
SGT(accepts P2P)]`` (option ``link_to``: the bdf of that GPU) and, if the
xe exporter's VRAM is the one it reaches, maps the BO's VRAM ranges
("VRAM offset within this specific VRAM memory"): ``private``.  Otherwise
it gets an sg_table like any P2P device.  Apart from that list (no IOV: it
is no PF of the exporter) and being always dynamic, it is the xe PF's
importer (:class:`dmabuf_lab.drivers.xe.mapping_types_2025_10.MtXeImporter`).
"""
from __future__ import annotations

from dmabuf_lab.drivers.common import importer_dev
from dmabuf_lab.drivers.xe.mapping_types_2025_10 import XE_MAPPING_VRAM, MtXeImporter
from dmabuf_lab.revisions import mapping_types_2025_10 as mt


class MtPeerGpuImporter(MtXeImporter):
    name = "peer-gpu"
    attach_ops_name = "peer-gpu attach ops"

    def __init__(self, session):
        super().__init__(session)
        self.dynamic = True
        self.dev = importer_dev(session, "peer-gpu")
        link = session.importer.option("link_to")
        self.link = session.topology.device(link) if link else None

    def match_list(self) -> list:
        """``[XE_VRAM(the linked GPU)]`` when linked, then ``SGT(this device, accepts P2P)``."""
        return (([XE_MAPPING_VRAM(self.link)] if self.link is not None else [])
                + [mt.DMA_BUF_IMAPPING_SGT(self.dev, True)])


def make_importer(session):
    return MtPeerGpuImporter(session)
