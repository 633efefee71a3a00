"""An xe buffer object exported as a dma-buf (drivers/gpu/drm/xe/xe_dma_buf.c, xe_bo.c).

Only what export needs: the BO's VRAM blocks (carved from the PF's
:class:`~dmabuf_lab.hw.Vram`), where it currently lives (``vram`` or ``tt``,
system memory), whether it may migrate to system memory
(``xe_bo_can_migrate(bo, XE_PL_TT)``) and whether it is pinned.

The exporter callbacks keep mainline's control flow: ``xe_dma_buf_attach``
drops ``peer2peer`` when the importer cannot reach the device and refuses an
importer that needs system memory for a BO that cannot go there;
``xe_dma_buf_map`` migrates to system memory for a non-P2P importer and
otherwise hands out addresses of VRAM through the BAR
(``xe_ttm_vram_mgr_alloc_sgt``); a pinned BO is mapped where it lies.

Read in gregkh/linux 18fec083a019 (``xe_bo.c``) and 20a99ea1e2fd
(``xe_dma_buf.c``), stable-tree copies of the 6.19/7.x code: the paths
modelled here are the same in both lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from dmabuf_lab import hw
from dmabuf_lab.pci.pci import pci_resource_start
from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import XE_GAP, xe_bo_is_pinned
from dmabuf_lab.kmodel import EBUSY, EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, KernelError
from dmabuf_lab.linux.drivers.gpu.drm.ttm.ttm_bo.mainline_6_19 import ttm_bo_pin, ttm_bo_unpin
from dmabuf_lab.twins import mirrors

#: The trees the xe twins were read in (no copy at the v6.19 tag is stored).
XE_BO_C = "gregkh/linux@18fec083a019:drivers/gpu/drm/xe/xe_bo.c"
XE_DMA_BUF_C = "gregkh/linux@20a99ea1e2fd:drivers/gpu/drm/xe/xe_dma_buf.c"

XE_PL_TT = "tt"
XE_PL_VRAM0 = "vram"
LMEM_BAR = 2
#: Where the model puts system pages a BO migrates to (any RAM address works).
TT_BASE = 0x1_0000_0000


@dataclass(eq=False)
class xe_bo:
    """A BO: owner PF, size, VRAM blocks, placement, migratability, pin count."""

    pdev: Any
    size: int
    lmem: Any
    placement: str = XE_PL_VRAM0
    can_migrate_tt: bool = True
    pin_count: int = 0


def xe_bo_create_vram(pdev, size: int, *, migratable: bool = True) -> xe_bo:
    """Allocate ``size`` bytes of the device's VRAM (-ENOMEM when it has none left)."""
    vram = getattr(pdev, "vram", None)
    if vram is None:
        raise KernelError(-EINVAL, f"{pdev.bdf} has no VRAM")
    obj = vram.alloc(size, owner="xe_bo", name="exported bo")
    if obj is None:
        raise KernelError(-ENOMEM, "VRAM exhausted")
    return xe_bo(pdev, size, obj, can_migrate_tt=migratable)


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_bo.c:xe_bo_can_migrate", gap="called from xe_dma_buf.c at this commit, which was read; this file itself was not", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_bo_can_migrate(bo: xe_bo, mem_type: str) -> bool:
    """Whether the BO's placements allow ``mem_type``."""
    return mem_type == XE_PL_VRAM0 or bo.can_migrate_tt


@mirrors(f"{XE_BO_C}:xe_bo_migrate", gap=XE_GAP, revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_bo_migrate(bo: xe_bo, mem_type: str) -> int:
    """Move the BO: 0 when it is already there, -EBUSY when pinned, -EINVAL
    when its placements do not allow ``mem_type``."""
    if bo.placement == mem_type:
        return 0
    if xe_bo_is_pinned(bo):
        return -EBUSY
    if not xe_bo_can_migrate(bo, mem_type):
        return -EINVAL
    bo.placement = mem_type
    return 0


@mirrors(f"{XE_BO_C}:xe_bo_pin_external", gap=XE_GAP, revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_bo_pin_external(bo: xe_bo) -> int:
    """Pin the BO where it lies (``in_place``, as xe_dma_buf_pin() asks: no
    validate, the caller migrated it first); the pinned-list bookkeeping is
    not modelled."""
    ttm_bo_pin(bo)
    return 0


@mirrors(f"{XE_BO_C}:xe_bo_unpin_external", gap=XE_GAP, revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_bo_unpin_external(bo: xe_bo) -> None:
    """Drop one pin through ttm_bo_unpin(), which WARNs once on an unpinned BO
    (the xe_assert()s before it are compiled out without CONFIG_DRM_XE_DEBUG)."""
    ttm_bo_unpin(bo)


#: pci_p2pdma_distance(); a non-PCI client never reaches device memory.
p2p_distance = pci_p2pdma_distance


def xe_bo_dma_ranges(bo: xe_bo) -> list[tuple[int, int]]:
    """DMA ranges of the BO where it lives: VRAM through the LMEM BAR, or system pages."""
    if bo.placement == XE_PL_TT:
        return [(TT_BASE, bo.size)]
    bar = int(pci_resource_start(bo.pdev, LMEM_BAR))
    return [(bar + dpa, ln) for dpa, ln in bo.lmem.ranges]


def xe_bo_release(bo: Optional[xe_bo]) -> None:
    """Drop the BO's VRAM."""
    if bo is not None and bo.lmem is not None:
        bo.lmem.free()
        bo.lmem = None
