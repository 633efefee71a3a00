"""Page-table formats the page-table builder knows, as plain data.

Each format says how many levels it has, the VA shift of one entry at every
level (level 0 is the leaf-most table), which page sizes a leaf may map, how
a page that is not a natural entry size is written (replicated entries or a
contiguous hint), and the bits of a leaf entry.

Sources (paths in the Linux tree): arch/x86/include/asm/pgtable_types.h and
drivers/iommu/generic_pt/fmt/x86_64.h (x86-64), drivers/iommu/intel/iommu.h
(VT-d second stage), drivers/iommu/amd/amd_iommu_types.h (AMD v1),
drivers/iommu/io-pgtable-arm.c and the Arm ARM's contiguous bit (LPAE),
drivers/gpu/drm/xe/xe_bo.h and xe_pt.c (Xe PPGTT).
"""
from __future__ import annotations

from dataclasses import dataclass

SZ_4K, SZ_64K, SZ_2M, SZ_32M, SZ_1G, SZ_512G = (1 << s for s in (12, 16, 21, 25, 30, 39))
TABLE_BYTES = 4096  # every format here allocates 4 KiB table pages (xe's compact tables too)

# leaf-entry encodings (a small number each, used by the emit kernels)
ENC_X86, ENC_VTD, ENC_AMDV1, ENC_ARM, ENC_XE = range(5)

# x86-64 (and generic_pt's x86_64 format)
X86_PRESENT = 1 << 0
X86_RW = 1 << 1
X86_PS = 1 << 7  # large leaf at level 1 (2M) or 2 (1G)
# VT-d second stage
VTD_READ = 1 << 0
VTD_WRITE = 1 << 1
VTD_PAGE_SIZE = 1 << 7
# AMD IOMMU v1
AMD_PR = 1 << 0
AMD_NEXT_LEVEL_SHIFT = 9   # bits 9..11; 7 means "page size encoded in the address bits"
AMD_NEXT_LEVEL_DEFAULT = 7
AMD_IR = 1 << 61
AMD_IW = 1 << 62
# ARM LPAE, stage 1, 4K granule
ARM_VALID = 1 << 0
ARM_TABLE_OR_PAGE = 1 << 1  # set for level-3 pages (0b11), clear for blocks (0b01)
ARM_AF = 1 << 10
ARM_CONT = 1 << 52
# Xe PPGTT
XE_PAGE_PRESENT = 1 << 0
XE_PAGE_RW = 1 << 1
XE_PDE_64K = 1 << 6
XE_PDE_PS_2M = 1 << 7
XE_PDPE_PS_1G = 1 << 7
XE_PTE_PS64 = 1 << 8
XE_PPGTT_PTE_DM = 1 << 11

ADDR_MASK_52 = ((1 << 52) - 1) & ~0xFFF


def _pow2_bitmap(lo_shift: int, hi_shift: int, exclude: tuple = ()) -> int:
    m = 0
    for s in range(lo_shift, hi_shift + 1):
        if s not in exclude:
            m |= 1 << s
    return m


@dataclass(frozen=True)
class PtFormat:
    """One page-table format.

    ``level_shifts[l]`` is log2 of the bytes one entry at level ``l`` maps;
    the top level is ``len(level_shifts) - 1``.  ``pgsize_bitmap`` lists the
    page sizes a leaf may map; a page bigger than its level's entry size is
    written as ``page >> level_shift`` entries (replicated run or contiguous
    hint, per ``encoding``).  ``va_bits`` bounds the input addresses.
    """
    name: str
    level_shifts: tuple
    pgsize_bitmap: int
    va_bits: int
    encoding: int
    description: str
    device_memory: bool = False  # xe: set DM on leaves (VRAM / BAR addresses)

    @property
    def levels(self) -> int:
        return len(self.level_shifts)

    def level_of(self, pgsize_lg2: int) -> int:
        """Level whose entries hold a page of ``1 << pgsize_lg2`` bytes."""
        lvl = 0
        for l, s in enumerate(self.level_shifts):
            if s <= pgsize_lg2:
                lvl = l
        return lvl

    def entries_per_page(self, pgsize_lg2: int) -> int:
        return 1 << (pgsize_lg2 - self.level_shifts[self.level_of(pgsize_lg2)])


FORMATS = {
    "x86-64-4level": PtFormat("x86-64-4level", (12, 21, 30, 39), SZ_4K | SZ_2M | SZ_1G, 48, ENC_X86,
                              "x86-64 4-level (48-bit VA); PS bit 7 marks 2M/1G leaves"),
    "x86-64-5level": PtFormat("x86-64-5level", (12, 21, 30, 39, 48), SZ_4K | SZ_2M | SZ_1G, 57, ENC_X86,
                              "x86-64 5-level (57-bit VA)"),
    "vtd-ss-39": PtFormat("vtd-ss-39", (12, 21, 30), SZ_4K | SZ_2M | SZ_1G, 39, ENC_VTD,
                          "Intel VT-d second stage, 3 levels (39-bit); present = R or W"),
    "vtd-ss-48": PtFormat("vtd-ss-48", (12, 21, 30, 39), SZ_4K | SZ_2M | SZ_1G, 48, ENC_VTD,
                          "Intel VT-d second stage, 4 levels (48-bit)"),
    "vtd-ss-57": PtFormat("vtd-ss-57", (12, 21, 30, 39, 48), SZ_4K | SZ_2M | SZ_1G, 57, ENC_VTD,
                          "Intel VT-d second stage, 5 levels (57-bit)"),
    "amd-v1": PtFormat("amd-v1", (12, 21, 30, 39, 48, 57), _pow2_bitmap(12, 63, exclude=(39,)), 64, ENC_AMDV1,
                       "AMD IOMMU v1, 6 levels; any power of two from 4K except 512G, "
                       "non-natural sizes replicate the entry (next level 7)"),
    "arm-lpae-4k": PtFormat("arm-lpae-4k", (12, 21, 30, 39), SZ_4K | SZ_64K | SZ_2M | SZ_32M | SZ_1G, 48, ENC_ARM,
                            "ARM LPAE stage 1, 4K granule; contiguous hint x16 gives 64K and 32M"),
    "xe-ppgtt": PtFormat("xe-ppgtt", (12, 21, 30, 39), SZ_4K | SZ_64K | SZ_2M | SZ_1G, 48, ENC_XE,
                         "Xe PPGTT, 4 levels; 64K via compact level-0 tables (32 x 64K) or PS64 hints, "
                         "2M/1G only when the range covers the whole entry and the address is aligned",
                         device_memory=True),
}


def get_format(fmt) -> PtFormat:
    """A :class:`PtFormat` from a name or itself (ValueError lists the names)."""
    if isinstance(fmt, PtFormat):
        return fmt
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown page-table format {fmt!r}; known: {', '.join(FORMATS)}") from None


def leaf_entry(fmt: PtFormat, oa: int, pgsize_lg2: int, compact: bool = False, slot: int = 0) -> int:
    """Bits of one leaf entry (slot ``slot`` of the page) -- the readable version."""
    lvl = fmt.level_of(pgsize_lg2)
    shift = fmt.level_shifts[lvl]
    rep = 1 << (pgsize_lg2 - shift)
    enc = fmt.encoding
    if enc in (ENC_X86, ENC_VTD):
        base = (X86_PRESENT | X86_RW) if enc == ENC_X86 else (VTD_READ | VTD_WRITE)
        return (oa & ADDR_MASK_52) | base | (X86_PS if lvl > 0 else 0)
    if enc == ENC_AMDV1:
        if rep == 1:
            return (oa & ADDR_MASK_52) | AMD_PR | AMD_IR | AMD_IW
        size = 1 << pgsize_lg2
        # PAGE_SIZE_PTE: address | (size - 1), with bit (size >> 1) cleared
        addr = ((oa | (size - 1)) & ~(size >> 1)) & ADDR_MASK_52
        return addr | AMD_PR | AMD_IR | AMD_IW | (AMD_NEXT_LEVEL_DEFAULT << AMD_NEXT_LEVEL_SHIFT)
    if enc == ENC_ARM:
        e = ((oa + (slot << shift)) & ((1 << 48) - 1) & ~0xFFF) | ARM_VALID | ARM_AF
        if lvl == 0:
            e |= ARM_TABLE_OR_PAGE
        if rep > 1:
            e |= ARM_CONT
        return e
    # xe
    e = XE_PAGE_PRESENT | XE_PAGE_RW | (XE_PPGTT_PTE_DM if fmt.device_memory else 0)
    if compact:
        return e | ((oa + (slot << 16)) & ADDR_MASK_52)
    e |= (oa + (slot << shift)) & ADDR_MASK_52
    if lvl > 0:
        e |= XE_PDE_PS_2M  # same bit as XE_PDPE_PS_1G
    if rep > 1:
        e |= XE_PTE_PS64
    return e
