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
from dmabuf_lab.drivers.xe.bo import (LMEM_BAR, TT_BASE, XE_PL_TT, p2p_distance, xe_bo_release,
                                      xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP
from dmabuf_lab.revisions.get_pfn import dma_buf_export, dma_buf_ops_pfn, importer_maps
from dmabuf_lab.twins import mirrors


@mirrors("posting:get-pfn-rfc#1/12:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_attach", gap="the get_pfn RFC adds the callback to the core and vfio only; xe's is the lab's, written to its contract")
def xe_dma_buf_attach(dmabuf, attach) -> int:
    """Mainline's P2P test, plus: CPU-invisible VRAM has no BAR address to hand out."""
    bo = dmabuf.priv
    if attach.dev is None:
        return 0
    if attach.peer2peer and (p2p_distance(bo.pdev, attach.dev) < 0 or not bo.cpu_visible):
        attach.peer2peer = False
    return xe_dma_buf_attach_checks(bo, attach, bool(attach.peer2peer))


@mirrors("posting:get-pfn-rfc#1/12:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map", gap="the get_pfn RFC adds the callback to the core and vfio only; xe's is the lab's, written to its contract")
def xe_dma_buf_map(attach, direction):
    """sg_table for the importer: VRAM through the BAR when P2P is allowed, else migrate."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, bool(attach.peer2peer), getattr(bo, "session", None))


@mirrors("posting:get-pfn-rfc#1/12:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the get_pfn RFC adds the callback to the core and vfio only; xe's is the lab's, written to its contract")
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


@mirrors("posting:get-pfn-rfc#1/12:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="the get_pfn RFC adds the callback to the core and vfio only; xe's is the lab's, written to its contract")
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)


def _aligned_order(dpa: int, left_in_block: int) -> int:
    """Largest order whose naturally aligned page run starts at ``dpa`` and stays in the block."""
    order = 0
    while order < 9:
        size = PAGE_SIZE << (order + 1)
        if dpa % size or size > left_in_block:
            break
        order += 1
    return order


@mirrors("posting:get-pfn-rfc#1/12:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_get_pfn", gap="the get_pfn RFC adds the callback to the core and vfio only; xe's is the lab's, written to its contract")
def xe_dma_buf_get_pfn(attach, pgoff: int) -> tuple[int, int, int]:
    """PFN of page ``pgoff`` of the BO where it lives now; none for CPU-invisible VRAM."""
    bo = attach.dmabuf.priv
    offset = pgoff << PAGE_SHIFT
    if offset >= bo.size:
        return -EINVAL, 0, 0
    if bo.placement == XE_PL_TT:
        return 0, (TT_BASE + offset) >> PAGE_SHIFT, 0
    if not bo.cpu_visible:
        return -EOPNOTSUPP, 0, 0
    dpa = hw.xe_bo_addr(bo.lmem, offset)
    left = SZ_2M - (dpa % SZ_2M)
    bar = int(pci_resource_start(bo.pdev, LMEM_BAR))
    return 0, (bar + dpa) >> PAGE_SHIFT, _aligned_order(dpa, left)


xe_dmabuf_ops = dma_buf_ops_pfn(attach=xe_dma_buf_attach, map_dma_buf=xe_dma_buf_map,
                                unmap_dma_buf=xe_dma_buf_unmap, release=xe_dma_buf_release,
                                name="xe_dmabuf_ops")
xe_dmabuf_ops_pfn = dma_buf_ops_pfn(attach=xe_dma_buf_attach, map_dma_buf=xe_dma_buf_map,
                                    unmap_dma_buf=xe_dma_buf_unmap, release=xe_dma_buf_release,
                                    get_pfn=xe_dma_buf_get_pfn, name="xe_dmabuf_ops (+get_pfn)")


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
