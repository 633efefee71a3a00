"""IOMMU domains: what a device's DMA addresses mean.

A device attached to an IDENTITY domain uses physical addresses as DMA
addresses; a BLOCKED domain lets nothing through; a DMA domain translates
through page tables the DMA API fills (``drivers/iommu/dma-iommu.c``
allocates an IOVA, ``iommu_map()`` installs it); an UNMANAGED domain is owned
by a user such as VFIO or iommufd, which chooses the IOVAs itself (a KVM guest
uses its guest-physical addresses).  The domain records every mapping so
``iommu_iova_to_phys()`` works and tests can see what was mapped.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from dmabuf_lab.addr.consts import SZ_1G, SZ_2M, SZ_4K
from dmabuf_lab.errors import TopologyError
from dmabuf_lab.kmodel import EEXIST, EINVAL

IOMMU_DOMAIN_BLOCKED = "BLOCKED"
IOMMU_DOMAIN_IDENTITY = "IDENTITY"
IOMMU_DOMAIN_DMA = "DMA"
IOMMU_DOMAIN_UNMANAGED = "UNMANAGED"
DOMAIN_TYPES = (IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_UNMANAGED)

IOMMU_READ = 1 << 0
IOMMU_WRITE = 1 << 1

X86_PGSIZE_BITMAP = SZ_4K | SZ_2M | SZ_1G
# dma-iommu rounds IOVA requests below this many granules up to a power of two
# (IOVA_RANGE_CACHE_MAX_SIZE = 6 in include/linux/iova.h -> 1 << 5)
IOVA_RANGE_CACHE_LIMIT = 1 << (6 - 1)


def _roundup_pow_of_two(n: int) -> int:
    return 1 << (n - 1).bit_length() if n > 1 else 1


@dataclass(frozen=True)
class IommuMapping:
    """One ``iommu_map()`` call that is still live: IOVA range -> physical range."""

    iova: int
    paddr: int
    size: int
    prot: int = IOMMU_READ | IOMMU_WRITE


class IommuDomain:
    """One ``struct iommu_domain``: type, page sizes, aperture, IOVA space and mappings."""

    def __init__(self, type: str = IOMMU_DOMAIN_DMA, *, pgsize_bitmap: int = X86_PGSIZE_BITMAP,
                 aperture_start: int = 0, aperture_end: int = (1 << 48) - 1, name: str = ""):
        if type not in DOMAIN_TYPES:
            raise TopologyError(f"IOMMU domain type {type!r}; expected one of {', '.join(DOMAIN_TYPES)}",
                                field="iommu.type")
        self.type = type
        self.pgsize_bitmap = pgsize_bitmap
        self.aperture_start = aperture_start
        self.aperture_end = aperture_end
        self.name = name
        self.mappings: list[IommuMapping] = []   # sorted by iova
        self._iovas: list[tuple[int, int]] = []  # allocated (iova, size), sorted
        self.map_calls = 0
        self.unmap_calls = 0

    # -- properties --------------------------------------------------------------------
    @property
    def is_paging(self) -> bool:
        """True for domains with page tables (DMA, UNMANAGED)."""
        return self.type in (IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_UNMANAGED)

    @property
    def granule(self) -> int:
        """Smallest page size the domain maps (the IOVA granule)."""
        return self.pgsize_bitmap & -self.pgsize_bitmap

    # -- IOVA allocator (dma-iommu + iova.c, simplified) --------------------------------
    def alloc_iova(self, size: int, limit: int | None = None) -> int:
        """Reserve an IOVA range for ``size`` bytes, top-down below ``limit``; 0 when none is free.

        Like ``iommu_dma_alloc_iova()``: the size is rounded up to the granule,
        small requests to a power of two, and the range is aligned to the
        power of two at or above its length.
        """
        if size <= 0 or not self.is_paging:
            return 0
        g = self.granule
        pages = -(-size // g)
        if pages < IOVA_RANGE_CACHE_LIMIT:
            pages = _roundup_pow_of_two(pages)
        length = pages * g
        align = _roundup_pow_of_two(pages) * g
        top = min(self.aperture_end if limit is None else limit, self.aperture_end)
        low = max(self.aperture_start, g)          # IOVA 0 is never handed out
        # walk the gaps from the top down
        hi = top + 1
        for start, sz in reversed(self._iovas):
            cand = ((hi - length) // align) * align
            if cand >= start + sz and cand >= low:
                return self._reserve(cand, length)
            hi = min(hi, start)
        cand = ((hi - length) // align) * align
        if cand >= low:
            return self._reserve(cand, length)
        return 0

    def _reserve(self, iova: int, length: int) -> int:
        bisect.insort(self._iovas, (iova, length))
        return iova

    def free_iova(self, iova: int, size: int | None = None) -> int:
        """Release an IOVA range reserved by :meth:`alloc_iova`; 0 or -EINVAL when unknown."""
        for i, (start, length) in enumerate(self._iovas):
            if start == iova:
                del self._iovas[i]
                return 0
        return -EINVAL

    def iova_reserved(self, iova: int, size: int = 1) -> bool:
        """True when ``[iova, iova+size)`` lies in one reserved IOVA range."""
        return any(s <= iova and iova + size <= s + n for s, n in self._iovas)

    # -- page-table side (iommu_map / iommu_unmap / iommu_iova_to_phys) ----------------
    def map(self, iova: int, paddr: int, size: int, prot: int = IOMMU_READ | IOMMU_WRITE) -> int:
        """Install ``iova -> paddr`` for ``size`` bytes: 0, -EINVAL (not paging, misaligned,
        empty) or -EEXIST (overlaps a live mapping), like ``iommu_map()``."""
        if not self.is_paging or self.pgsize_bitmap == 0:
            return -EINVAL
        if size <= 0 or (iova | paddr | size) & (self.granule - 1):
            return -EINVAL
        i = bisect.bisect_left(self.mappings, iova, key=lambda m: m.iova)
        for m in self.mappings[max(0, i - 1):i + 1]:
            if m.iova < iova + size and iova < m.iova + m.size:
                return -EEXIST
        self.mappings.insert(i, IommuMapping(iova, paddr, size, prot))
        self.map_calls += 1
        return 0

    def unmap(self, iova: int, size: int) -> int:
        """Remove translations in ``[iova, iova+size)``; returns the bytes unmapped (0 when
        misaligned), like ``iommu_unmap()``."""
        if not self.is_paging or size <= 0 or (iova | size) & (self.granule - 1):
            return 0
        self.unmap_calls += 1
        end = iova + size
        keep, done = [], 0
        for m in self.mappings:
            m_end = m.iova + m.size
            if m_end <= iova or m.iova >= end:
                keep.append(m)
                continue
            lo, hi = max(m.iova, iova), min(m_end, end)
            done += hi - lo
            if m.iova < lo:
                keep.append(IommuMapping(m.iova, m.paddr, lo - m.iova, m.prot))
            if hi < m_end:
                keep.append(IommuMapping(hi, m.paddr + (hi - m.iova), m_end - hi, m.prot))
        self.mappings = sorted(keep, key=lambda m: m.iova)
        return done

    def iova_to_phys(self, iova: int) -> int:
        """Physical address behind ``iova``; 0 when nothing is mapped (``iommu_iova_to_phys()``)."""
        if self.type == IOMMU_DOMAIN_IDENTITY:
            return iova
        if not self.is_paging:
            return 0
        i = bisect.bisect_right(self.mappings, iova, key=lambda m: m.iova) - 1
        if i >= 0:
            m = self.mappings[i]
            if m.iova <= iova < m.iova + m.size:
                return m.paddr + (iova - m.iova)
        return 0

    @property
    def mapped_bytes(self) -> int:
        """Bytes covered by live mappings."""
        return sum(m.size for m in self.mappings)

    def __repr__(self) -> str:
        return f"<IommuDomain {self.type} {self.name!r} {len(self.mappings)} mappings>"


def iommu_iova_to_phys(domain: IommuDomain | None, iova: int) -> int:
    """``iommu_iova_to_phys()``; with no domain the address is already physical."""
    if domain is None:
        return iova
    return domain.iova_to_phys(iova)
