"""xe under get-pfn.

Exporter.  posted / exporter-maps: the unchanged xe exporter (the RFC did not
touch it): ``map_dma_buf`` hands VRAM out through the LMEM BAR to P2P
importers and migrates to system memory for the others.  importer-maps: it
also answers ``get_pfn`` (lab-written): a page in system memory gives its
RAM PFN; a page in VRAM the BAR reaches gives the BAR PFN (no struct page),
with the order of the naturally aligned part of its 2 MiB block; a page in
VRAM the CPU cannot see has no PFN at all (-EOPNOTSUPP), Christian's
"CPU invisible data which only the involved devices can see".

Exporter option ``cpu_visible = false`` places the BO in VRAM beyond the
CPU-visible BAR window (a small-BAR card, or device-private memory).  Such
a BO has no BAR address either, so the lab's attach drops P2P for it and
map migrates it to system memory, or fails -EOPNOTSUPP when it may not
migrate (``migratable = false``).  An attachment without a device (a
get_pfn-only importer) skips the P2P test.

Importer (the PF): posted / exporter-maps: the sg_table path; importer-maps:
PFNs mapped with the DMA API (:class:`PfnDmaImporter`).
"""
from __future__ import annotations

from dmabuf_lab import hw
from dmabuf_lab.pci.pci import pci_resource_start
from dmabuf_lab.addr import PAGE_SHIFT, PAGE_SIZE, SZ_2M
from dmabuf_lab.drivers.pfn_importer import make_device_importer
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import (LMEM_BAR, TT_BASE, XE_PL_TT, p2p_distance, xe_bo_release)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import (xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP
from dmabuf_lab.revisions.get_pfn import dma_buf_export, dma_buf_ops_pfn, importer_maps
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.get_pfn import xe_dma_buf_release  # noqa: F401
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.get_pfn import xe_dma_buf_attach, xe_dma_buf_map, xe_dma_buf_unmap, _aligned_order, xe_dma_buf_get_pfn, xe_dmabuf_ops, xe_dmabuf_ops_pfn  # noqa: F401


class GetPfnXeExporter(XeExporter):
    export_fn = staticmethod(dma_buf_export)

    def export(self):
        self.ops = xe_dmabuf_ops_pfn if importer_maps() else xe_dmabuf_ops
        dmabuf = super().export()
        self.bo.cpu_visible = bool(self.s.exporter.option("cpu_visible", True))
        return dmabuf


def make_exporter(session):
    return GetPfnXeExporter(session)


def make_importer(session):
    return make_device_importer(session, "xe")
