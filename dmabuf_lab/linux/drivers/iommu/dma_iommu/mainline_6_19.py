"""iommu-dma: the DMA API backend for devices behind a translating IOMMU
(drivers/iommu/dma-iommu.c).

The IOVA numbers and the page table belong to the device's
:class:`dmabuf_lab.hw.IommuDomain`; this layer adds the kernel's
bookkeeping around them: one tracked ``struct iova`` per allocation (from
``iova_cache`` in the kernel), found again by address when it is freed.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import EIO, ENOMEM, GFP_ATOMIC, WARN_ON_ONCE, kfree, kstruct, kzalloc

from dmabuf_lab.core.dma_mapping import DMA_IOVA_USE_SWIOTLB, DMA_MAPPING_ERROR
from dmabuf_lab.linux.drivers.iommu.iommu.mainline_6_19 import _domain, iommu_dma_link, iommu_dma_unlink  # noqa: F401
from dmabuf_lab.twins import mirrors


class iova(kstruct):
    """struct iova {pfn_lo, pfn_hi}, here kept in bytes: [start, start + size)."""

    fields = ("start", "size")


class iommu_dma_cookie:
    """Per-domain state of iommu-dma: the live ``struct iova`` records by start."""

    def __init__(self):
        self.iovas: dict[int, iova] = {}


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:iommu_get_dma_domain", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19",))
def iommu_get_dma_domain(dev):
    """The IOMMU domain the device's DMA goes through (None without an IOMMU)."""
    return _domain(dev)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:use_dma_iommu", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def use_dma_iommu(dev) -> bool:
    """True when the device's domain translates (type "DMA"), so iommu-dma serves it."""
    dom = _domain(dev)
    return dom is not None and getattr(dom, "type", None) == "DMA"


def _cookie(dom) -> iommu_dma_cookie:
    cookie = getattr(dom, "iova_cookie", None)
    if cookie is None:
        cookie = iommu_dma_cookie()
        dom.iova_cookie = cookie
    return cookie


def iova_granule(dev) -> int:
    """The IOVA granule: the smallest page size the domain supports."""
    dom = _domain(dev)
    bitmap = int(getattr(dom, "pgsize_bitmap", 0x1000) or 0x1000)
    return bitmap & -bitmap


def iova_align(dev, size: int) -> int:
    """Round ``size`` up to the IOVA granule."""
    g = iova_granule(dev)
    return (int(size) + g - 1) & ~(g - 1)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:iommu_dma_alloc_iova", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iommu_dma_alloc_iova(dev, size: int) -> int:
    """Allocate ``size`` bytes of IOVA below the device's DMA mask; 0 on failure."""
    dom = _domain(dev)
    node = kzalloc(iova, GFP_ATOMIC)          # alloc_iova_mem()
    if node is None:
        return 0
    addr = dom.alloc_iova(int(size), int(getattr(dev, "dma_mask", DMA_MAPPING_ERROR)))
    if not addr:
        kfree(node)
        return 0
    node.start = int(addr)
    node.size = int(size)
    _cookie(dom).iovas[node.start] = node
    return int(addr)


def _find_iova(dom, addr: int):
    for start, node in _cookie(dom).iovas.items():
        if start <= addr < start + node.size:
            return node
    return None


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:iommu_dma_free_iova", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iommu_dma_free_iova(dev, addr: int) -> None:
    """Give back the IOVA allocation that contains ``addr`` (free_iova()).

    Like the kernel's free_iova(), an address that no live allocation covers
    is silently ignored.
    """
    dom = _domain(dev)
    node = _find_iova(dom, int(addr))
    if node is None:
        return
    del _cookie(dom).iovas[node.start]
    dom.free_iova(node.start, node.size)
    kfree(node)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:iommu_dma_map_phys", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iommu_dma_map_phys(dev, phys: int, size: int, direction: int, attrs: int) -> int:
    """Allocate an IOVA and map ``[phys, phys+size)`` behind it (__iommu_dma_map)."""
    g = iova_granule(dev)
    off = phys & (g - 1)
    length = iova_align(dev, size + off)
    addr = iommu_dma_alloc_iova(dev, length)
    if not addr:
        return DMA_MAPPING_ERROR
    if iommu_dma_link(dev, addr, phys - off, length):
        iommu_dma_free_iova(dev, addr)
        return DMA_MAPPING_ERROR
    return addr + off


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:iommu_dma_unmap_phys", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iommu_dma_unmap_phys(dev, addr: int, size: int, direction: int, attrs: int) -> None:
    """Unmap ``size`` bytes at ``addr`` and free the IOVA allocation holding it."""
    g = iova_granule(dev)
    off = addr & (g - 1)
    iommu_dma_unlink(dev, addr - off, iova_align(dev, size + off))
    iommu_dma_free_iova(dev, addr - off)


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
    if not use_dma_iommu(dev):
        return False
    if WARN_ON_ONCE(not size, "dma_iova_try_alloc of 0 bytes"):
        return False
    if WARN_ON_ONCE(int(size) & DMA_IOVA_USE_SWIOTLB, "dma_iova_try_alloc size too large"):
        return False
    iova_off = int(phys) & (iova_granule(dev) - 1)
    addr = iommu_dma_alloc_iova(dev, iova_align(dev, int(size) + iova_off))
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
    granule = iova_granule(dev)
    pad = int(phys) & (granule - 1)
    if WARN_ON_ONCE(pad and offset > 0, "dma_iova_link: unaligned phys after the first link"):
        return -EIO
    return iommu_dma_link(dev, state.addr + int(offset) - pad, int(phys) - pad,
                                    iova_align(dev, int(size) + pad))


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_sync", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_sync(dev, state, offset: int, size: int) -> int:
    """Flush the IOTLB after dma_iova_link() calls (iommu_sync_map); 0."""
    return 0


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_unlink", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_unlink(dev, state, offset: int, size: int, direction: int, attrs: int = 0) -> None:
    """Unmap a linked range of the span, keeping the IOVA reserved."""
    granule = iova_granule(dev)
    pad = state.addr & (granule - 1)
    start = state.addr - pad + int(offset)
    iommu_dma_unlink(dev, start, iova_align(dev, int(size) + pad))


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_free", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_free(dev, state) -> None:
    """Give the span's IOVA back (after everything was unlinked)."""
    granule = iova_granule(dev)
    pad = state.addr & (granule - 1)
    iommu_dma_free_iova(dev, state.addr - pad)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/dma-iommu.c:dma_iova_destroy", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_iova_destroy(dev, state, mapped_len: int, direction: int, attrs: int = 0) -> None:
    """Unlink the first ``mapped_len`` bytes and free the IOVA; with 0, just free it."""
    if mapped_len:
        dma_iova_unlink(dev, state, 0, mapped_len, direction, attrs)
        dma_iova_free(dev, state)
    else:
        dma_iova_free(dev, state)
