"""The DMA API over the modelled IOMMU (kernel/dma/mapping.c, drivers/iommu/dma-iommu.c).

A device whose IOMMU domain translates ("DMA") gets IOVAs from the
domain's allocator, and the DMA API links pages into the domain's page
table; an identity, bypassed or absent IOMMU uses dma-direct, where the DMA
address of MMIO is its physical address.

Every IOVA allocation is backed by a tracked ``struct iova`` (the kernel
takes one from ``iova_cache`` in alloc_iova()), so an IOVA range that is
never given back shows up as a ``leak`` when the run ends, and fault
injection can fail IOVA allocation like any other.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import EIO, ENOMEM, WARN_ON_ONCE, kstruct
from dmabuf_lab.twins import mirrors

# enum dma_data_direction (include/linux/dma-direction.h)
DMA_BIDIRECTIONAL = 0
DMA_TO_DEVICE = 1
DMA_FROM_DEVICE = 2
DMA_NONE = 3

#: DMA_ATTR_MMIO: the physical address is MMIO, not RAM with struct pages.
DMA_ATTR_MMIO = 1 << 10

#: The all-ones dma_addr_t that dma_map_*() returns on failure.
DMA_MAPPING_ERROR = (1 << 64) - 1

#: Top bit of dma_iova_state.__size, reserved for dma-iommu's swiotlb flag.
DMA_IOVA_USE_SWIOTLB = 1 << 63


@mirrors("torvalds/linux@0b9828c7231e:include/linux/dma-mapping.h:valid_dma_direction", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19",))
def valid_dma_direction(direction: int) -> bool:
    """True for the three directions a mapping may use."""
    return direction in (DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE)


class dma_iova_state(kstruct):
    """struct dma_iova_state {addr, __size}; zero ``__size`` means no IOVA in use."""

    fields = ("addr", "__size")


@mirrors("torvalds/linux@0b9828c7231e:include/linux/dma-mapping.h:dma_use_iova", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_use_iova(state) -> bool:
    """True when dma_iova_try_alloc() succeeded for ``state``."""
    return bool(getattr(state, "__size"))


@mirrors("torvalds/linux@0b9828c7231e:include/linux/dma-mapping.h:dma_mapping_error", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_mapping_error(dev, dma_addr: int) -> int:
    """-ENOMEM when ``dma_addr`` is DMA_MAPPING_ERROR, else 0."""
    return -ENOMEM if int(dma_addr) == DMA_MAPPING_ERROR else 0


@mirrors("torvalds/linux@0b9828c7231e:include/linux/dma-direct.h:dma_capable", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _dma_capable(dev, addr: int, size: int) -> bool:
    mask = int(getattr(dev, "dma_mask", DMA_MAPPING_ERROR) or DMA_MAPPING_ERROR)
    return size == 0 or int(addr) + int(size) - 1 <= mask


@mirrors("torvalds/linux@0b9828c7231e:kernel/dma/mapping.c:dma_map_phys", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_map_phys(dev, phys: int, size: int, direction: int, attrs: int = 0) -> int:
    """Map ``size`` bytes at ``phys`` for ``dev``; the DMA address or DMA_MAPPING_ERROR.

    dma-direct returns ``phys`` itself if it fits the device's DMA mask;
    iommu-dma allocates an IOVA and maps the pages behind it.
    """
    if not iommu_dma.use_dma_iommu(dev):
        if not _dma_capable(dev, phys, size):
            return DMA_MAPPING_ERROR
        return int(phys)
    return iommu_dma.iommu_dma_map_phys(dev, int(phys), int(size), direction, attrs)


@mirrors("torvalds/linux@0b9828c7231e:kernel/dma/mapping.c:dma_unmap_phys", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_unmap_phys(dev, addr: int, size: int, direction: int, attrs: int = 0) -> None:
    """Undo dma_map_phys(): nothing for dma-direct, unmap and free the IOVA otherwise."""
    if not iommu_dma.use_dma_iommu(dev):
        return
    iommu_dma.iommu_dma_unmap_phys(dev, int(addr), int(size), direction, attrs)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_try_alloc", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_try_alloc(dev, state, phys: int, size: int) -> bool:
    """Reserve one contiguous IOVA span of ``size`` bytes for ``dev``.

    Returns False, leaving ``state`` zeroed, when the device does not use
    iommu-dma, when ``size`` is 0 or has the reserved top bit set (both
    WARN), or when the IOVA allocation fails; the caller then falls back to
    per-range dma_map_phys().  ``phys`` only sets the in-page offset.
    """
    state.addr = 0
    setattr(state, "__size", 0)
    if not iommu_dma.use_dma_iommu(dev):
        return False
    if WARN_ON_ONCE(not size, "dma_iova_try_alloc of 0 bytes"):
        return False
    if WARN_ON_ONCE(int(size) & DMA_IOVA_USE_SWIOTLB, "dma_iova_try_alloc size too large"):
        return False
    iova_off = int(phys) & (iommu_dma.iova_granule(dev) - 1)
    addr = iommu_dma.iommu_dma_alloc_iova(dev, iommu_dma.iova_align(dev, int(size) + iova_off))
    if not addr:
        return False
    state.addr = addr + iova_off
    setattr(state, "__size", int(size))
    return True


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_link", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_link(dev, state, phys: int, offset: int, size: int, direction: int,
                  attrs: int = 0) -> int:
    """Map ``size`` bytes at ``phys`` into the span at ``state.addr + offset``.

    Only the first link of a span may start off a page boundary (else WARN
    and -EIO).  Returns 0 or the page-table error (-ENOMEM).
    """
    granule = iommu_dma.iova_granule(dev)
    pad = int(phys) & (granule - 1)
    if WARN_ON_ONCE(pad and offset > 0, "dma_iova_link: unaligned phys after the first link"):
        return -EIO
    return iommu_dma.iommu_dma_link(dev, state.addr + int(offset) - pad, int(phys) - pad,
                                    iommu_dma.iova_align(dev, int(size) + pad))


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_sync", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_sync(dev, state, offset: int, size: int) -> int:
    """Flush the IOTLB after dma_iova_link() calls (iommu_sync_map); 0."""
    return 0


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_unlink", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_unlink(dev, state, offset: int, size: int, direction: int, attrs: int = 0) -> None:
    """Unmap a linked range of the span, keeping the IOVA reserved."""
    granule = iommu_dma.iova_granule(dev)
    pad = state.addr & (granule - 1)
    start = state.addr - pad + int(offset)
    iommu_dma.iommu_dma_unlink(dev, start, iommu_dma.iova_align(dev, int(size) + pad))


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_free", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_free(dev, state) -> None:
    """Give the span's IOVA back (after everything was unlinked)."""
    granule = iommu_dma.iova_granule(dev)
    pad = state.addr & (granule - 1)
    iommu_dma.iommu_dma_free_iova(dev, state.addr - pad)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_destroy", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_destroy(dev, state, mapped_len: int, direction: int, attrs: int = 0) -> None:
    """Unlink the first ``mapped_len`` bytes and free the IOVA; with 0, just free it."""
    if mapped_len:
        dma_iova_unlink(dev, state, 0, mapped_len, direction, attrs)
        dma_iova_free(dev, state)
    else:
        dma_iova_free(dev, state)


from . import iommu_dma  # noqa: E402  (iommu_dma needs the constants above)

__all__ = [
    "DMA_BIDIRECTIONAL", "DMA_TO_DEVICE", "DMA_FROM_DEVICE", "DMA_NONE", "DMA_ATTR_MMIO",
    "DMA_MAPPING_ERROR", "DMA_IOVA_USE_SWIOTLB", "valid_dma_direction", "dma_iova_state",
    "dma_use_iova", "dma_mapping_error", "dma_map_phys", "dma_unmap_phys",
    "dma_iova_try_alloc", "dma_iova_link", "dma_iova_sync", "dma_iova_unlink",
    "dma_iova_free", "dma_iova_destroy",
]
