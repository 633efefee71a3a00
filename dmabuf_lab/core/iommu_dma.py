"""iommu-dma: the DMA API backend for devices behind a translating IOMMU
(drivers/iommu/dma-iommu.c).

The IOVA numbers and the page table belong to the device's
:class:`dmabuf_lab.hw.IommuDomain`; this layer adds the kernel's
bookkeeping around them: one tracked ``struct iova`` per allocation (from
``iova_cache`` in the kernel), found again by address when it is freed.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import GFP_ATOMIC, WARN_ON_ONCE, kfree, kstruct, kzalloc

from .dma_mapping import DMA_MAPPING_ERROR
from dmabuf_lab.twins import mirrors


class iova(kstruct):
    """struct iova {pfn_lo, pfn_hi}, here kept in bytes: [start, start + size)."""

    fields = ("start", "size")


class iommu_dma_cookie:
    """Per-domain state of iommu-dma: the live ``struct iova`` records by start."""

    def __init__(self):
        self.iovas: dict[int, iova] = {}


def _domain(dev):
    topo = getattr(dev, "topology", None)
    if topo is None:
        return None
    return topo.iommu_domain(dev)


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


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/iommu.c:iommu_map", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iommu_dma_link(dev, addr: int, phys: int, size: int) -> int:
    """iommu_map() of ``size`` bytes at IOVA ``addr`` to ``phys``; 0 or -errno."""
    dom = _domain(dev)
    ret = dom.map(int(addr), int(phys), int(size))
    return int(ret or 0)


@mirrors("torvalds/linux@0b9828c7231e:drivers/iommu/iommu.c:iommu_unmap", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def iommu_dma_unlink(dev, addr: int, size: int) -> int:
    """iommu_unmap() of ``size`` bytes at ``addr``; returns the bytes unmapped."""
    if not size:
        return 0
    dom = _domain(dev)
    unmapped = int(dom.unmap(int(addr), int(size)) or 0)
    WARN_ON_ONCE(unmapped != size, f"iommu_unmap: {unmapped:#x} of {int(size):#x} bytes unmapped")
    return unmapped


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
