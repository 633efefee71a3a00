"""get-pfn: the ``get_pfn`` exporter callback (Xu Yilun, 2025-01) and the debate about it.

the get_pfn RFC thread (2025-01-07/08): Christian König's and Jason Gunthorpe's
replies to "[RFC PATCH 01/12] dma-buf: Introduce dma_buf_get_pfn_unlocked()
kAPI" (2025-01-07).  Patches modelled: 01 (this module: ``get_pfn`` in
``dma_buf_ops``, ``dma_buf_get_pfn_unlocked()``, the relaxed
``dma_buf_export()`` / ``dma_buf_dynamic_attach()`` /
``dma_buf_map_attachment()`` checks), 02 (vfio-pci ``get_pfn``:
``drivers/vfio_pci/get_pfn.py``) and the KVM binding of patch 03
(``kvm_vfio_dmabuf_bind()`` / ``kvm_vfio_dmabuf_get_pfn()``:
``drivers/kvm/get_pfn.py``).

``dma_buf_get_pfn_unlocked(attach, pgoff)`` takes the reservation lock and
asks the exporter for the PFN of page ``pgoff`` of the buffer and the
largest order that may be mapped there.  There is no ``put_pfn``: a dynamic
importer learns through ``move_notify`` that its PFNs went stale, a static
one is promised a pinned buffer.  The C returns the PFN and order through
pointers; here the functions return ``(ret, pfn, max_order)``.

Variants (``Revision.modes`` besides posted/fixed):

``posted``
    The RFC: ``get_pfn`` for the "subsystem importers" (KVM, iommufd) that
    build their own tables; only vfio-pci implements it; device importers
    keep ``dma_buf_map_attachment()`` (exporter maps for them).
``importer-maps``
    Jason's philosophy carried through: every exporter that has a CPU
    physical address for its memory implements ``get_pfn`` (system heap,
    xe for VRAM the BAR reaches), and device importers (RDMA, the xe PF, a
    peer GPU) take PFNs and map them with the DMA API themselves.  Includes
    the ``null-dev-attach`` fix, since importers without a device are the
    point of it.
``exporter-maps``
    Christian's: no ``get_pfn`` at all; the importer only ever sees DMA
    addresses made by the exporter for ``attach->dev``.  KVM and iommufd
    need CPU physical addresses and have no device to map for, so they
    cannot be written (``cannot-express``).

What each can do, per kind of memory (see :data:`PHILOSOPHY`): system pages
have a PFN and a struct page; an MMIO BAR has a PFN but no struct page;
CPU-invisible VRAM (beyond a small BAR, or device-private) has neither.

Found by the lab in the posted patch (``Revision.bugs``):

``null-dev-attach``
    The commit message lets importers that never call
    ``dma_buf_map_attachment()`` attach without a device, but
    ``dma_buf_dynamic_attach()`` still WARNs and fails (-EINVAL) for a NULL
    ``dev`` whenever the exporter also has ``map_dma_buf``: KVM (which
    passes NULL) can only import from exporters that implement nothing but
    ``get_pfn``.

Limits that are not bugs, modelled as posted: ``dma_buf_get_pfn_unlocked()``
returns -ENOENT for a buffer with pin/unpin (vfio's) unless
``CONFIG_DMABUF_MOVE_NOTIFY`` is set (exporter option
``dmabuf_move_notify``; default: the lab's config, off); KVM turns every
``get_pfn`` failure into -EIO; vfio's ``get_pfn`` never reports an order
above 0.  ``dma_buf_get_pfn_unlocked()`` reads ``attach->dmabuf`` before its
``WARN_ON(!attach)``, so a NULL attachment oopses instead of warning.  The
attach-time pre-map of a static importer on a non-dynamic buffer (the
``attach->sgt`` cache of that tree) is not modelled; such an importer maps
at map time.

Sources: ``docs/sources.md`` [get-pfn-rfc].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab import hw
from dmabuf_lab.addr import PAGE_SHIFT
from dmabuf_lab.core.attachment import dma_buf_attachment, dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import (EINVAL, ENOENT, ENOMEM, ERR_PTR, IS_ERR, WARN_ON, dma_resv_lock, dma_resv_unlock,
                               kfree, kzalloc)  # IS_ERR: for callers of this module (gp.IS_ERR)
from dmabuf_lab.revisions.base import Revision, current_session, deref, fixed, mode

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core  # drivers/dma-buf/dma-buf.c
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.get_pfn import IMPORTER_MAPS, EXPORTER_MAPS, importer_maps, exporter_maps, dma_buf_ops_pfn, config_dmabuf_move_notify, dma_buf_export, dma_buf_dynamic_attach, dma_buf_attach, dma_buf_detach, dma_buf_map_attachment, dma_buf_unmap_attachment, dma_buf_get_pfn_unlocked, dma_buf_move_notify  # noqa: F401

REVISION = Revision(
    name="get-pfn",
    module="get_pfn",
    title="dma_buf_get_pfn_unlocked(): PFNs for subsystem importers",
    date="2025-01-07",
    source="get-pfn-rfc",
    patch="[RFC PATCH 01/12] dma-buf: Introduce dma_buf_get_pfn_unlocked() kAPI (Xu Yilun)",
    bugs={
        "null-dev-attach": "dma_buf_dynamic_attach() refuses dev == NULL when the exporter also has "
                           "map_dma_buf, so KVM cannot attach to such an exporter",
    },
    modes={
        "importer-maps": "Jason: every exporter with a CPU address gives PFNs; importers map them themselves",
        "exporter-maps": "Christian: no get_pfn; importers only see DMA addresses the exporter made for them",
    },
)


# ---------------------------------------------------------------------------
# The philosophy table: which memory can be described how.
# ---------------------------------------------------------------------------

#: memory kind -> (has a PFN, has a struct page).  The facts behind the debate.
MEMORY_KINDS = {
    "system": (True, True),            # system heap pages: PFN and struct page
    "mmio-bar": (True, False),         # a vfio BAR slice: PFN, no struct page
    "vram-visible": (True, False),     # VRAM the BAR reaches: a BAR PFN, no struct page
    "vram-invisible": (False, False),  # VRAM beyond the BAR, device-private memory: neither
}

#: importer -> what it must end up holding to work.
IMPORTER_NEEDS = {
    "kvm": "cpu-phys",        # guest mapping (EPT) of CPU physical addresses
    "iommufd": "cpu-phys",    # its own IOMMU page table at a user IOVA
    "rdma": "dma-addr",       # DMA addresses for its own device
}


def philosophy_works(philosophy: str, memory: str, importer: str) -> bool:
    """Can ``importer`` use ``memory`` at all under ``philosophy``?

    ``exporter-maps``: the exporter maps for ``attach->dev``; an importer that
    needs CPU physical addresses (KVM, iommufd) gets nothing usable, one that
    wants DMA addresses works whenever the exporter can place the memory
    where the device reaches it (invisible VRAM included, by migrating it:
    only the exporter knows how, which is Christian's point).
    ``importer-maps``: memory without a PFN (CPU-invisible VRAM) fails for
    everyone.  A PFN is enough for KVM and iommufd; a device importer that
    maps it with the DMA API also needs to know how to reach it, and an
    MMIO PFN without struct page leads to no pgmap and so no p2pdma
    provider, so only system pages work for it.  The drivers implement the
    same rules; the tests compare the two.
    """
    has_pfn, has_page = MEMORY_KINDS[memory]
    need = IMPORTER_NEEDS[importer]
    if philosophy == EXPORTER_MAPS:
        return need != "cpu-phys"
    if philosophy == IMPORTER_MAPS:
        return has_pfn and (need == "cpu-phys" or has_page)
    raise ValueError(f"unknown philosophy {philosophy!r}")


PHILOSOPHY = {(ph, mem, imp): philosophy_works(ph, mem, imp)
              for ph in (EXPORTER_MAPS, IMPORTER_MAPS) for mem in MEMORY_KINDS for imp in IMPORTER_NEEDS}


def pfn_has_struct_page(topology, pfn: int) -> bool:
    """Whether a PFN is system RAM with a struct page (pfn_valid() for RAM; MMIO has none)."""
    return hw.page_is_ram(topology, pfn)


# ---------------------------------------------------------------------------
# include/linux/dma-buf.h with the RFC
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c with the RFC
# ---------------------------------------------------------------------------


def dma_buf_nr_pages(dmabuf) -> int:
    """Pages in the buffer: how many pgoffs an importer walks."""
    return int(dmabuf.size) >> PAGE_SHIFT


def walk_pfns(attach, log=None) -> tuple[int, list[tuple[int, int]]]:
    """Ask for every page's PFN and merge neighbours into ``(phys, len)`` runs.

    One full walk of the buffer through ``dma_buf_get_pfn_unlocked()``, the
    only way an importer learns the layout (the API answers one page at a
    time).  Returns ``(0, runs)`` or ``(-errno, runs so far)``; ``max_order``
    lets the walk skip ahead within a large page.
    """
    runs: list[list[int]] = []
    npages = dma_buf_nr_pages(attach.dmabuf)
    pgoff = 0
    while pgoff < npages:
        ret, pfn, order = dma_buf_get_pfn_unlocked(attach, pgoff)
        if ret:
            return ret, [(a, n) for a, n in runs]
        step = 1 << max(0, int(order))
        step = min(step, npages - pgoff)
        phys, ln = pfn << PAGE_SHIFT, step << PAGE_SHIFT
        if runs and runs[-1][0] + runs[-1][1] == phys:
            runs[-1][1] += ln
        else:
            runs.append([phys, ln])
        pgoff += step
    return 0, [(a, n) for a, n in runs]
