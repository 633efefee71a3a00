"""Byte footprints of the containers, from kernel struct sizes on x86-64.

Every size below is ``sizeof()`` on x86-64 (LP64: pointers, ``unsigned long``
and ``size_t`` are 8 bytes, ``unsigned int`` 4, structs padded to their widest
member), with the header it comes from and the fields that were summed.
Footprints include allocator rounding: a ``kmalloc(n)`` costs its slab size
class, a large ``kmalloc`` costs a power-of-two block of pages, a ``vmalloc``
costs whole pages.  Slab metadata, ``vm_struct``/``vmap_area`` bookkeeping and
guard pages are not counted.
"""
from __future__ import annotations

from .consts import DIV_ROUND_UP, PAGE_ALIGN, PAGE_SHIFT, PAGE_SIZE, get_order
from dmabuf_lab.twins import mirrors

# ---------------------------------------------------------------- structs
# include/linux/scatterlist.h, struct scatterlist:
#   unsigned long page_link (8) + unsigned int offset (4) + unsigned int length (4)
#   + dma_addr_t dma_address (8)
#   + unsigned int dma_length (4)   [CONFIG_NEED_SG_DMA_LENGTH, selected by x86]
#   + unsigned int dma_flags (4)    [CONFIG_NEED_SG_DMA_FLAGS, selected by IOMMU_DMA,
#                                    SWIOTLB and PCI_P2PDMA]
#   = 32.  Without dma_flags it is 28, padded to 32 by the 8-byte alignment.
sizeof_scatterlist = 32

# include/linux/scatterlist.h, struct sg_table:
#   struct scatterlist *sgl (8) + unsigned int nents (4) + unsigned int orig_nents (4) = 16
sizeof_sg_table = 16

# include/linux/scatterlist.h: SG_MAX_SINGLE_ALLOC = PAGE_SIZE / sizeof(struct scatterlist);
# lib/scatterlist.c sg_kmalloc() takes a whole page (__get_free_page) for a full chunk.
SG_MAX_SINGLE_ALLOC = PAGE_SIZE // sizeof_scatterlist

# include/linux/range.h, struct range: u64 start (8) + u64 end (8, inclusive) = 16
sizeof_range = 16

# include/linux/types.h, struct phys_vec: phys_addr_t paddr (8) + size_t len (8) = 16
# (the same layout as the dma-buf series' struct dma_buf_phys_vec in include/linux/dma-buf.h;
#  the older block/blk-mq-dma.c copy had "u32 len", 12 bytes padded to 16 as well)
sizeof_phys_vec = 16

# include/linux/xarray.h, struct xarray:
#   spinlock_t xa_lock (4, no lockdep/debug) + gfp_t xa_flags (4) + void *xa_head (8) = 16
sizeof_xarray = 16

# include/linux/xarray.h: XA_CHUNK_SHIFT is 6 unless CONFIG_BASE_SMALL (then 4).
XA_CHUNK_SHIFT = 6
XA_CHUNK_SIZE = 1 << XA_CHUNK_SHIFT
XA_MAX_MARKS = 3
# include/linux/xarray.h, struct xa_node:
#   unsigned char shift, offset, count, nr_values (4) + padding (4)
#   + struct xa_node *parent (8) + struct xarray *array (8)
#   + union {struct list_head private_list; struct rcu_head rcu_head} (16)
#   + void *slots[XA_CHUNK_SIZE] (64 * 8 = 512)
#   + unsigned long marks[XA_MAX_MARKS][XA_MARK_LONGS] (3 * 1 * 8 = 24)
#   = 576 (the header's own comment also says 576 bytes, 7 per 4 KiB page).
# Nodes come from the "radix_tree_node" kmem_cache (lib/radix-tree.c), whose
# objects are exactly sizeof(struct xa_node): no kmalloc class rounding.
sizeof_xa_node = 4 + 4 + 8 + 8 + 16 + XA_CHUNK_SIZE * 8 + XA_MAX_MARKS * 8

# RFC v1 (the RFC v1 thread (2025-10-14)) include/linux/dma-buf-interconnect.h, struct dma_buf_ranges:
#   struct xarray ranges (16) + unsigned int nranges (4) + padding (4) = 24
sizeof_dma_buf_ranges_v1 = 24

# RFC v2 discussion (the RFC v2 1/8 thread (2025-10-26)), struct dma_buf_ranges:
#   struct range *ranges (8) + unsigned int nranges (4) + padding (4) + void *ranges_data (8) = 24
sizeof_dma_buf_ranges_v2 = 24

# RFC v2 discussion (the RFC v2 1/8 thread (2025-10-26)), struct dma_buf_mapping:
#   struct phys_vec *phys (8) + unsigned int nents (4) + padding (4) + void *map_data (8) = 24
sizeof_dma_buf_mapping = 24

# mapping-types-2026-02 include/linux/dma-buf-mapping.h, struct dma_buf_phys_list:
#   size_t length (8) + struct dma_buf_phys_vec phys[] (flexible, 16 each)
sizeof_dma_buf_phys_list_header = 8

# drivers/dma-buf/dma-buf-mapping.c, struct dma_buf_dma:
#   struct sg_table sgt (16) + struct dma_iova_state *state (8) + size_t size (8) = 32
sizeof_dma_buf_dma = 32

# include/linux/dma-mapping.h, struct dma_iova_state: dma_addr_t addr (8) + u64 __size (8) = 16
sizeof_dma_iova_state = 16

# ---------------------------------------------------------------- allocator
# include/linux/slab.h (SLUB): KMALLOC_MIN_SIZE 8 on x86-64; kmalloc caches 8..2*PAGE_SIZE
# with the two odd classes 96 and 192 (kmalloc_index()); KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1.
KMALLOC_SIZE_CLASSES = (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)
KMALLOC_MAX_CACHE_SIZE = PAGE_SIZE << 1
# include/linux/mmzone.h MAX_PAGE_ORDER = 10 (x86-64 default); include/linux/slab.h
# KMALLOC_MAX_SIZE = 1 << (MAX_PAGE_ORDER + PAGE_SHIFT): larger kmalloc() calls fail.
MAX_PAGE_ORDER = 10
KMALLOC_MAX_SIZE = 1 << (MAX_PAGE_ORDER + PAGE_SHIFT)
# mm/util.c kvmalloc_node(): sizes above INT_MAX are refused outright.
KVMALLOC_MAX_SIZE = (1 << 31) - 1


def kmalloc_bytes(size: int) -> int | None:
    """Bytes a ``kmalloc(size)`` really takes; None when kmalloc cannot succeed.

    Up to ``KMALLOC_MAX_CACHE_SIZE`` the request is rounded to its slab class;
    above it goes to the page allocator as ``PAGE_SIZE << get_order(size)``;
    above ``KMALLOC_MAX_SIZE`` (order > MAX_PAGE_ORDER) it fails.  ``kmalloc(0)``
    returns ZERO_SIZE_PTR and costs nothing.
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"negative allocation size {size}")
    if size == 0:
        return 0
    if size <= KMALLOC_MAX_CACHE_SIZE:
        for c in KMALLOC_SIZE_CLASSES:
            if size <= c:
                return c
    if size > KMALLOC_MAX_SIZE:
        return None
    return PAGE_SIZE << get_order(size)


def vmalloc_bytes(size: int) -> int:
    """Bytes of pages a ``vmalloc(size)`` maps: page granular."""
    return PAGE_ALIGN(size)


def kvmalloc_bytes(size: int, large: str = "vmalloc") -> int | None:
    """Bytes a ``kvmalloc(size)`` takes; None above ``INT_MAX`` (refused).

    ``kvmalloc`` first tries ``kmalloc`` (with __GFP_NORETRY above a page) and
    falls back to ``vmalloc``.  Up to ``KMALLOC_MAX_CACHE_SIZE`` the slab class
    is used.  Above it, ``large="vmalloc"`` (default) assumes the fallback
    (page granular: what a fragmented, long-running machine sees);
    ``large="buddy"`` assumes the high-order kmalloc succeeded (power-of-two
    pages, up to ``KMALLOC_MAX_SIZE``, then vmalloc).
    """
    size = int(size)
    if size > KVMALLOC_MAX_SIZE:
        return None
    if size <= KMALLOC_MAX_CACHE_SIZE:
        return kmalloc_bytes(size)
    if large == "vmalloc":
        return vmalloc_bytes(size)
    if large == "buddy":
        b = kmalloc_bytes(size)
        return b if b is not None else vmalloc_bytes(size)
    raise ValueError(f"large must be 'vmalloc' or 'buddy', got {large!r}")


@mirrors("torvalds/linux@0b9828c7231e:include/linux/overflow.h:struct_size", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def struct_size(header: int, elem: int, n: int) -> int:
    """``struct_size()``: a header followed by ``n`` flexible-array elements."""
    return int(header) + int(elem) * int(n)


# ---------------------------------------------------------------- counts
def sg_chunk_entries(nents: int, max_ents: int = SG_MAX_SINGLE_ALLOC) -> list[int]:
    """Entries allocated per chunk by ``__sg_alloc_table(nents)`` (chain slots included).

    Every chunk but the last holds ``max_ents`` entries whose last slot is the
    chain link, so it carries ``max_ents - 1`` usable entries.
    """
    nents = int(nents)
    out = []
    left = nents
    while left:
        if left > max_ents:
            out.append(max_ents)
            left -= max_ents - 1
        else:
            out.append(left)
            left = 0
    return out


def sg_chunk_count(nents: int, max_ents: int = SG_MAX_SINGLE_ALLOC) -> int:
    """Number of chained chunks for ``nents`` entries (closed form)."""
    nents = int(nents)
    if nents <= 0:
        return 0
    if nents <= max_ents:
        return 1
    return 1 + DIV_ROUND_UP(nents - max_ents, max_ents - 1)


def xa_nodes_dense(n: int, chunk_shift: int = XA_CHUNK_SHIFT) -> int:
    """xa_nodes holding indices ``0 .. n-1`` (stored densely from 0).

    One entry at index 0 lives in ``xa_head`` itself (no node).  Otherwise
    the tree is as tall as the highest index needs, and each level has
    ``ceil(n / 64**level)`` nodes.
    """
    n = int(n)
    if n <= 1:
        return 0
    size = 1 << chunk_shift
    nodes = 0
    span = size
    while True:
        nodes += DIV_ROUND_UP(n, span)
        if span >= n:
            break
        span <<= chunk_shift
    return nodes


# ---------------------------------------------------------------- footprints
def sg_table_bytes(nents: int, *, header: int | None = sizeof_sg_table) -> int:
    """A ``sg_table`` of ``nents`` entries: optional header allocation + chunks.

    A full chunk is one page (sg_kmalloc's __get_free_page); a partial chunk is
    ``kmalloc_array(n, 32)`` rounded to its slab class.  ``header`` is the
    kmalloc'd struct holding the table (``sizeof_sg_table`` by default,
    ``sizeof_dma_buf_dma`` for ``dma_buf_phys_vec_to_sgt``, None when embedded).
    """
    total = kmalloc_bytes(header) if header else 0
    for ents in sg_chunk_entries(nents):
        total += PAGE_SIZE if ents == SG_MAX_SINGLE_ALLOC else kmalloc_bytes(ents * sizeof_scatterlist)
    return total


def xarray_ranges_bytes(n: int, *, per_entry: bool = False) -> int | None:
    """RFC v1 ``dma_buf_ranges``: kzalloc'd header + ``struct range`` storage + xa_nodes.

    As posted, vfio fills it from one ``kmalloc_array(n, sizeof(struct range))``
    (None when that exceeds KMALLOC_MAX_SIZE, i.e. more than 262144 ranges);
    ``per_entry=True`` models one ``kmalloc(sizeof(struct range))`` per entry.
    """
    head = kmalloc_bytes(sizeof_dma_buf_ranges_v1)
    if per_entry:
        store = int(n) * kmalloc_bytes(sizeof_range)
    else:
        store = kmalloc_bytes(int(n) * sizeof_range)
        if store is None:
            return None
    return head + store + xa_nodes_dense(n) * sizeof_xa_node


def phys_vec_array_bytes(n: int, *, large: str = "vmalloc") -> int | None:
    """A flat ``kvmalloc_array(n, sizeof(struct phys_vec))``."""
    return kvmalloc_bytes(int(n) * sizeof_phys_vec, large=large)


def dma_buf_mapping_bytes(n: int, *, large: str = "vmalloc") -> int | None:
    """RFC v2 ``dma_buf_mapping {phys, nents, map_data}`` + its phys_vec array."""
    arr = phys_vec_array_bytes(n, large=large)
    return None if arr is None else kmalloc_bytes(sizeof_dma_buf_mapping) + arr


def dma_buf_ranges_v2_bytes(n: int, *, large: str = "vmalloc") -> int | None:
    """RFC v2 ``dma_buf_ranges {ranges, nranges, ranges_data}`` + its struct range array."""
    arr = kvmalloc_bytes(int(n) * sizeof_range, large=large)
    return None if arr is None else kmalloc_bytes(sizeof_dma_buf_ranges_v2) + arr


def phys_list_bytes(n: int, *, large: str = "vmalloc") -> int | None:
    """mapping-types-2026-02 ``dma_buf_phys_list`` as one ``kvzalloc(struct_size(list, phys, n))``."""
    return kvmalloc_bytes(struct_size(sizeof_dma_buf_phys_list_header, sizeof_phys_vec, n),
                          large=large)


__all__ = [name for name in dir() if not name.startswith("_")]
