"""drivers/dma-buf/dma-buf.c in the 2026-04/05 review plan: the iommu-domain mapping type and its map and unmap."""
from __future__ import annotations

from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.twins import mirrors


dma_buf_mapping_iommu_domain_type = mt.dma_buf_mapping_type("IOMMU_DOMAIN", match=None,
                                                            lab_kind="iommu-domain")


@mirrors("posting:mapping-types-plan:drivers/dma-buf/dma-buf.c:DMA_BUF_IMAPPING_IOMMU_DOMAIN", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def DMA_BUF_IMAPPING_IOMMU_DOMAIN(domain) -> "mt.dma_buf_mapping_match":
    """Importer entry: map the buffer into ``domain`` (iommufd only).  The domain rides in ``dev``."""
    return mt.dma_buf_mapping_match(type=dma_buf_mapping_iommu_domain_type, dev=domain)


@mirrors("posting:mapping-types-plan:drivers/dma-buf/dma-buf.c:dma_buf_iommu_domain_entries", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def dma_buf_iommu_domain_entries(exp) -> list:
    """For each exporter PAL entry, a core entry that maps the PAL into an importer's domain."""
    out = []
    for ex in exp:
        if ex.type is mt.dma_buf_mapping_pal_type:
            out.append(mt.dma_buf_mapping_match(type=dma_buf_mapping_iommu_domain_type, exp_ops=ex.exp_ops,
                                                provider=ex.provider, p2p_dev=ex.p2p_dev))
    return out


class iommu_domain:
    """An importer's I/O page table, recorded as (iova, phys, length) triples."""

    def __init__(self, name: str = "iommufd ioas"):
        self.name = name
        self.mappings: list[tuple[int, int, int]] = []

    def map(self, iova: int, paddr: int, length: int) -> int:
        for (v, _, n) in self.mappings:
            if iova < v + n and v < iova + length:
                return -EINVAL                  # iommu_map() onto a used IOVA
        self.mappings.append((iova, paddr, length))
        return 0

    def unmap(self, iova: int, length: int) -> None:
        self.mappings = [m for m in self.mappings if not (m[0] >= iova and m[0] + m[2] <= iova + length)]


@mirrors("posting:mapping-types-plan:drivers/dma-buf/dma-buf.c:dma_buf_iommu_domain_map", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def dma_buf_iommu_domain_map(attach, iova: int):
    """Core: take the exporter's PAL and map it at ``iova`` of the importer's domain (resv held).

    Returns the PAL list (to give back at unmap) or an ERR_PTR.
    """
    if WARN_ON(attach.map_type.type is not dma_buf_mapping_iommu_domain_type,
               "dma_buf_iommu_domain_map on another type"):
        return ERR_PTR(-EINVAL)
    dma_resv_assert_held(attach.dmabuf.resv)
    pal = attach.map_type.exp_ops
    lst = pal.map_phys(attach)
    if IS_ERR(lst):
        return lst
    domain = attach.map_type.dev
    off = 0
    for i in range(lst.length):
        ret = domain.map(iova + off, int(lst.phys[i].paddr), int(lst.phys[i].len))
        if ret:
            domain.unmap(iova, off)
            pal.unmap_phys(attach, lst)
            return ERR_PTR(ret)
        off += int(lst.phys[i].len)
    attach.nr_mappings += 1
    return lst


@mirrors("posting:mapping-types-plan:drivers/dma-buf/dma-buf.c:dma_buf_iommu_domain_unmap", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def dma_buf_iommu_domain_unmap(attach, iova: int, lst) -> None:
    """Core: unmap the range from the domain and give the PAL back (resv held)."""
    dma_resv_assert_held(attach.dmabuf.resv)
    total = sum(int(lst.phys[i].len) for i in range(lst.length))
    attach.map_type.dev.unmap(iova, total)
    attach.map_type.exp_ops.unmap_phys(attach, lst)
    if attach.nr_mappings:
        attach.nr_mappings -= 1


@mirrors("posting:mapping-types-plan:drivers/dma-buf/dma-buf.c:dma_buf_map_attachment_iommu", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def dma_buf_map_attachment_iommu(attach, domain, iova: int, offset: int, size: int) -> int:
    """The exporter maps ``[offset, offset + size)`` of the buffer at ``iova`` of ``domain``.

    Resv held.  -EOPNOTSUPP when the exporter has no ``map_attachment_iommu``
    op; -EINVAL for a range outside the buffer.
    """
    dma_resv_assert_held(attach.dmabuf.resv)
    op = getattr(attach.dmabuf.ops, "map_attachment_iommu", None)
    if op is None:
        return -EOPNOTSUPP
    if offset < 0 or size <= 0 or offset + size > attach.dmabuf.size:
        return -EINVAL
    return op(attach, domain, iova, offset, size)


@mirrors("posting:mapping-types-plan:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment_iommu", gap="a plan in review replies, never posted as patches: the function is the lab's reading of it")
def dma_buf_unmap_attachment_iommu(attach, domain, iova: int, size: int) -> None:
    """Undo :func:`dma_buf_map_attachment_iommu` (resv held)."""
    dma_resv_assert_held(attach.dmabuf.resv)
    op = getattr(attach.dmabuf.ops, "unmap_attachment_iommu", None)
    if op is not None:
        op(attach, domain, iova, size)
