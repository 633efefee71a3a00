"""drivers/iommu/iommu.c as in Linux 6.19: linking and unlinking a physical range at an IOVA in the device's domain (and the lab's lookup of that domain)."""
from __future__ import annotations

from dmabuf_lab.kmodel import WARN_ON_ONCE
from dmabuf_lab.twins import mirrors


def _domain(dev):
    topo = getattr(dev, "topology", None)
    if topo is None:
        return None
    return topo.iommu_domain(dev)


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
