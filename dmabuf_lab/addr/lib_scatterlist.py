"""``struct scatterlist`` and ``struct sg_table`` (include/linux/scatterlist.h,
lib/scatterlist.c), allocated through kmodel.

An sg_table is built from chained chunks of at most ``SG_MAX_SINGLE_ALLOC``
(128) entries.  When more entries are needed, the last slot of each full chunk
is a chain link to the next chunk, so a full chunk carries 127 usable entries.
``page_link`` keeps the kernel's two low bits: ``SG_CHAIN`` (this slot points
at the next chunk) and ``SG_END`` (this is the last entry).

dma-buf's MMIO exporters fill only the DMA half of each entry (page NULL,
``sg_dma_address``/``sg_dma_len`` set) and split any span larger than
``UINT_MAX`` bytes into several entries; ``sg_entries_needed`` counts them
in bulk, ``fill_sg_entry`` writes them one by one.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from ..kmodel.alloc import GFP_KERNEL, KArray, kfree, kmalloc_array, kstruct, kzalloc
from ..kmodel.err_ptr import ERR_PTR
from ..kmodel.errno import EINVAL, ENOMEM
from ..kmodel.runtime import current_kernel
from . import footprint as _fp
from .consts import UINT_MAX
from .kinds import Addr, DmaAddr
from .ranges import RANGE_DTYPE, RangeArray
from dmabuf_lab.twins import mirrors

SG_CHAIN = 0x01
SG_END = 0x02
SG_PAGE_LINK_MASK = SG_CHAIN | SG_END
SG_MAX_SINGLE_ALLOC = _fp.SG_MAX_SINGLE_ALLOC

# include/linux/scatterlist.h dma_flags bits
SG_DMA_BUS_ADDRESS = 1 << 0
SG_DMA_SWIOTLB = 1 << 1


class scatterlist(kstruct):
    """One sg entry: CPU side (page_link/offset/length) and DMA side.

    ``page_link`` is either an int holding only the low bits (page NULL) or a
    ``(pointer, bits)`` tuple, where the pointer is a page object or, for a
    chain slot, the first scatterlist of the next chunk.
    """

    sizeof = _fp.sizeof_scatterlist
    fields = (("page_link", 0), ("offset", 0), ("length", 0), ("dma_address", 0),
              ("dma_length", 0), ("dma_flags", 0))


class sg_table(kstruct):
    """``struct sg_table {sgl, nents, orig_nents}``."""

    sizeof = _fp.sizeof_sg_table
    fields = ("sgl", ("nents", 0), ("orig_nents", 0))

    @staticmethod
    def footprint_bytes(n: int, header: int | None = _fp.sizeof_sg_table) -> int:
        """Bytes for a table of ``n`` entries: header (kmalloc'd) plus chained chunks."""
        return _fp.sg_table_bytes(n, header=header)


# ------------------------------------------------------------ page_link bits
def _link(sg: scatterlist) -> tuple[object, int]:
    pl = sg.page_link
    if isinstance(pl, tuple):
        return pl
    return None, int(pl)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_is_chain", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_is_chain(sg: scatterlist) -> bool:
    """True for a chain slot (``SG_CHAIN`` set)."""
    return bool(_link(sg)[1] & SG_CHAIN)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_is_last", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_is_last(sg: scatterlist) -> bool:
    """True for the entry that ends the list (``SG_END`` set)."""
    return bool(_link(sg)[1] & SG_END)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_chain_ptr", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def sg_chain_ptr(sg: scatterlist) -> scatterlist:
    """The first entry of the chunk a chain slot points at."""
    return _link(sg)[0]


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_page", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def sg_page(sg: scatterlist):
    """The page of an entry (None for dma-buf's DMA-only entries)."""
    return _link(sg)[0]


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_assign_page", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_assign_page(sg: scatterlist, page) -> None:
    """Set the page pointer and keep the low bits."""
    bits = _link(sg)[1] & SG_PAGE_LINK_MASK
    sg.page_link = (page, bits) if page is not None else bits


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_set_page", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_set_page(sg: scatterlist, page, length: int, offset: int) -> None:
    """Point an entry at ``page`` with ``length`` bytes from ``offset``."""
    sg_assign_page(sg, page)
    sg.offset = int(offset)
    sg.length = int(length)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_mark_end", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_mark_end(sg: scatterlist) -> None:
    """Set the termination bit and clear a chain bit."""
    ptr, bits = _link(sg)
    bits = (bits | SG_END) & ~SG_CHAIN
    sg.page_link = (ptr, bits) if ptr is not None else bits


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_unmark_end", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def sg_unmark_end(sg: scatterlist) -> None:
    """Clear the termination bit."""
    ptr, bits = _link(sg)
    bits &= ~SG_END
    sg.page_link = (ptr, bits) if ptr is not None else bits


def _pos(sg: scatterlist) -> tuple[KArray, int]:
    try:
        return object.__getattribute__(sg, "_sgpos")
    except AttributeError:
        raise TypeError("scatterlist entry is not part of a chunk made by sg_alloc_table()") from None


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:sg_init_table", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_init_table(chunk: KArray, nents: int) -> None:
    """Zero ``nents`` entries of a chunk and mark the last one as the end."""
    for i in range(nents):
        sg = chunk[i]
        object.__setattr__(sg, "_sgpos", (chunk, i))
        sg.page_link = 0
        sg.offset = 0
        sg.length = 0
        sg.dma_address = 0
        sg.dma_length = 0
        sg.dma_flags = 0
    sg_mark_end(chunk[nents - 1])


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_chain", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def sg_chain(prv: KArray, prv_nents: int, sgl: scatterlist) -> None:
    """Turn slot ``prv_nents - 1`` of chunk ``prv`` into a link to ``sgl``."""
    link = prv[prv_nents - 1]
    link.offset = 0
    link.length = 0
    link.page_link = (sgl, SG_CHAIN)


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:sg_next", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_next(sg: scatterlist) -> scatterlist | None:
    """The entry after ``sg``, following a chain slot; None after the last one."""
    if sg_is_last(sg):
        return None
    chunk, i = _pos(sg)
    nxt = chunk[i + 1]
    if sg_is_chain(nxt):
        nxt = sg_chain_ptr(nxt)
    return nxt


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:for_each_sg", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def for_each_sg(sgl: scatterlist | None, nents: int) -> Iterator[scatterlist]:
    """Walk ``nents`` entries from ``sgl`` (``for_each_sg``)."""
    sg = sgl
    for _ in range(int(nents)):
        if sg is None:
            current_kernel().record("warn", f"for_each_sg: list ended before {nents} entries "
                                            "(NULL dereference in C)")
            return
        yield sg
        sg = sg_next(sg)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:for_each_sgtable_sg", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def for_each_sgtable_sg(sgt: sg_table) -> Iterator[scatterlist]:
    """Walk the CPU entries of a table (``orig_nents``)."""
    return for_each_sg(sgt.sgl, sgt.orig_nents)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:for_each_sgtable_dma_sg", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def for_each_sgtable_dma_sg(sgt: sg_table) -> Iterator[scatterlist]:
    """Walk the DMA-mapped entries of a table (``nents``)."""
    return for_each_sg(sgt.sgl, sgt.nents)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_dma_address", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_dma_address(sg: scatterlist):
    """The DMA address of an entry."""
    return sg.dma_address


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_dma_len", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_dma_len(sg: scatterlist) -> int:
    """The DMA length of an entry (``dma_length`` under CONFIG_NEED_SG_DMA_LENGTH)."""
    return sg.dma_length


def sg_dma_set_address(sg: scatterlist, addr) -> None:
    """``sg_dma_address(sg) = addr``."""
    sg.dma_address = addr


def sg_dma_set_len(sg: scatterlist, length: int) -> None:
    """``sg_dma_len(sg) = length``; an ``unsigned int``, so more than UINT_MAX
    truncates as in C (silently there; the lab records a ``warn``)."""
    length = int(length)
    if not 0 <= length <= UINT_MAX:
        current_kernel().record("warn", f"sg_dma_len = {length:#x} does not fit an unsigned int; "
                                        f"C stores {length & UINT_MAX:#x}")
        length &= UINT_MAX
    sg.dma_length = length


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_dma_is_bus_address", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def sg_dma_is_bus_address(sg: scatterlist) -> bool:
    """True when the entry holds a PCI bus address (no IOMMU mapping)."""
    return bool(sg.dma_flags & SG_DMA_BUS_ADDRESS)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/scatterlist.h:sg_dma_mark_bus_address", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def sg_dma_mark_bus_address(sg: scatterlist) -> None:
    """Flag the entry as a PCI bus address."""
    sg.dma_flags = sg.dma_flags | SG_DMA_BUS_ADDRESS


# ------------------------------------------------------------ alloc / free
@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:sg_kmalloc", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_kmalloc(nents: int, gfp: int = GFP_KERNEL) -> KArray | None:
    """One chunk of ``nents`` entries (a whole page in C when ``nents`` is the
    maximum; the model allocates every chunk with kmalloc_array)."""
    return kmalloc_array(nents, scatterlist, gfp)


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:sg_kfree", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_kfree(sg: scatterlist, nents: int) -> None:
    """Free the chunk that starts at ``sg``."""
    chunk, i = _pos(sg)
    kfree(chunk if i == 0 else sg)


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:__sg_free_table", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def __sg_free_table(table: sg_table, max_ents: int, nents_first_chunk: int, free_fn,
                    num_ents: int) -> None:
    """Free the chunks of a table, following chain slots (lib/scatterlist.c)."""
    if table.sgl is None:
        return
    curr_max_ents = nents_first_chunk or max_ents
    sgl = table.sgl
    while num_ents:
        alloc_size = num_ents
        if alloc_size > curr_max_ents:
            chunk, i = _pos(sgl)
            nxt = sg_chain_ptr(chunk[i + curr_max_ents - 1])
            alloc_size = curr_max_ents
            sg_size = alloc_size - 1
        else:
            sg_size = alloc_size
            nxt = None
        num_ents -= sg_size
        if nents_first_chunk:
            nents_first_chunk = 0
        else:
            free_fn(sgl, alloc_size)
        sgl = nxt
        curr_max_ents = max_ents
    table.sgl = None


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:sg_free_table", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_free_table(table: sg_table) -> None:
    """Free every chunk of a table made by ``sg_alloc_table``."""
    __sg_free_table(table, SG_MAX_SINGLE_ALLOC, 0, sg_kfree, table.orig_nents)


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:__sg_alloc_table", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def __sg_alloc_table(table: sg_table, nents: int, max_ents: int, gfp: int = GFP_KERNEL,
                     alloc_fn=sg_kmalloc) -> int:
    """Allocate ``nents`` entries in chunks of at most ``max_ents``, chaining them.

    Returns 0 or -ENOMEM (the caller frees what was allocated) or -EINVAL for
    ``nents == 0``.  On failure after the first chunk the previous chunk's
    chain slot is counted as an entry so that the free walk sizes it right.
    """
    nents = int(nents)
    if nents == 0:
        return -EINVAL
    table.sgl = None
    table.nents = 0
    table.orig_nents = 0
    left = nents
    prv = None
    while True:
        alloc_size = left
        if alloc_size > max_ents:
            alloc_size = max_ents
            sg_size = alloc_size - 1
        else:
            sg_size = alloc_size
        left -= sg_size
        sg = alloc_fn(alloc_size, gfp)
        if sg is None:
            if prv is not None:
                table.orig_nents = table.orig_nents + 1
                table.nents = table.orig_nents
            return -ENOMEM
        sg_init_table(sg, alloc_size)
        table.orig_nents = table.orig_nents + sg_size
        table.nents = table.orig_nents
        if prv is not None:
            sg_chain(prv, max_ents, sg[0])
        else:
            table.sgl = sg[0]
        if not left:
            sg_mark_end(sg[sg_size - 1])
        prv = sg
        if not left:
            return 0


@mirrors("torvalds/linux@0b9828c7231e:lib/scatterlist.c:sg_alloc_table", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def sg_alloc_table(table: sg_table, nents: int, gfp: int = GFP_KERNEL) -> int:
    """Allocate a (possibly chained) table of ``nents`` entries; 0 or -errno.
    On failure everything allocated so far is freed again."""
    ret = __sg_alloc_table(table, nents, SG_MAX_SINGLE_ALLOC, gfp, sg_kmalloc)
    if ret:
        sg_free_table(table)
    return ret


def sg_chunks(table: sg_table) -> list[KArray]:
    """The chunk arrays of a live table, in chain order (lab introspection)."""
    out = []
    sg = table.sgl
    left = table.orig_nents
    while sg is not None and left:
        chunk, _ = _pos(sg)
        out.append(chunk)
        if left > len(chunk):
            sg = sg_chain_ptr(chunk[len(chunk) - 1])
            left -= len(chunk) - 1
        else:
            break
    return out


# ------------------------------------------------------------ DMA entries
@mirrors("torvalds/linux@b703b31ea8cd:drivers/dma-buf/dma-buf-mapping.c:fill_sg_entry", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-05"))
@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:fill_sg_entry", revisions=("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6",))
@mirrors("jgunthorpe/linux@476e59f8dedd:drivers/dma-buf/dma-buf-mapping.c:fill_sg_entry", revisions=("mapping-types-2026-03",))
def fill_sg_entry(sgl: scatterlist | None, length: int, addr,
                  max_seg: int = UINT_MAX) -> scatterlist | None:
    """Write ``[addr, addr + length)`` as DMA-only entries of at most UINT_MAX
    bytes (page NULL); return the entry after the last one written.

    Mirrors drivers/dma-buf/dma-buf-mapping.c: entry ``i`` starts at
    ``addr + i * max_seg`` and holds ``min(left, max_seg)`` bytes.  With the
    6.19 value ``max_seg = UINT_MAX`` entries after the first are not page
    aligned; pass ``MAX_SG_ENT_SZ`` for the later page-aligned split.
    """
    length = int(length)
    nents = -(-length // max_seg)
    for i in range(nents):
        if sgl is None:
            current_kernel().record("warn", "fill_sg_entry: ran past the end of the sg list "
                                            "(NULL dereference in C)")
            return None
        ln = min(length, max_seg)
        length -= ln
        sg_set_page(sgl, None, 0, 0)
        sg_dma_set_address(sgl, addr + i * max_seg)
        sg_dma_set_len(sgl, ln)
        sgl = sg_next(sgl)
    return sgl


def sg_entries_needed(lengths, one_iova_span: bool = False, max_seg: int = UINT_MAX) -> int:
    """SG entries for ranges split at UINT_MAX bytes (``calc_sg_nents``).

    Without an IOVA span each range is split on its own: sum of
    ``ceil(len / UINT_MAX)``.  With one contiguous IOVA span the whole buffer
    is one DMA range: ``ceil(total / UINT_MAX)``.  ``lengths`` is a RangeArray
    or any sequence of lengths.  The result is exact (the kernel's unsigned
    int can overflow; compare with UINT_MAX yourself).  ``max_seg`` is the
    split size (``UINT_MAX`` in 6.19, ``MAX_SG_ENT_SZ`` later).
    """
    if isinstance(lengths, RangeArray):
        n = lengths.lengths
    else:
        n = np.asarray(lengths, dtype=np.uint64) if not isinstance(lengths, np.ndarray) else lengths
        n = n.astype(np.uint64, copy=False)
    if one_iova_span:
        hi = int(np.sum(n >> np.uint64(32), dtype=np.uint64))
        lo = int(np.sum(n & np.uint64(0xFFFFFFFF), dtype=np.uint64))
        total = (hi << 32) + lo
        return -(-total // max_seg)
    u = np.uint64(max_seg)
    per = n // u + (n % u != 0)
    return int(np.sum(per, dtype=np.uint64))


def sg_split_ranges(ranges: RangeArray, max_seg: int = UINT_MAX) -> RangeArray:
    """The DMA entries ``fill_sg_entry`` would write for each range, in bulk."""
    s = ranges.starts
    n = ranges.lengths
    u = np.uint64(max_seg)
    per = (n // u + (n % u != 0)).astype(np.int64)
    total = int(per.sum())
    out = np.zeros(total, dtype=RANGE_DTYPE)
    if total == 0:
        return RangeArray(out, kind=ranges.kind, what="sg entries")
    owner = np.repeat(np.arange(len(ranges)), per)
    first = np.cumsum(per) - per
    k = (np.arange(total) - first[owner]).astype(np.uint64)
    out["start"] = s[owner] + k * u
    remaining = n[owner] - k * u
    out["length"] = np.minimum(remaining, u)
    return RangeArray(out, kind=ranges.kind, what="sg entries")


# ------------------------------------------------------------ conversions
def sg_table_from_ranges(ranges, gfp: int = GFP_KERNEL, *, kind: type[Addr] = DmaAddr):
    """A kzalloc'd sg_table whose DMA entries cover ``ranges`` (each split at
    UINT_MAX); ERR_PTR(-ENOMEM) when an allocation fails, ERR_PTR(-EINVAL) for
    no ranges.  ``ranges`` is a RangeArray or ``[(addr, len), ...]``."""
    if not isinstance(ranges, RangeArray):
        ranges = RangeArray.from_pairs(list(ranges), kind=kind, align=None)
    nents = sg_entries_needed(ranges)
    sgt = kzalloc(sg_table, gfp)
    if sgt is None:
        return ERR_PTR(-ENOMEM)
    ret = sg_alloc_table(sgt, nents, gfp)
    if ret:
        kfree(sgt)
        return ERR_PTR(ret)
    sgl = sgt.sgl
    for addr, length in ranges:
        sgl = fill_sg_entry(sgl, length, addr)
    return sgt


def sg_table_to_ranges(sgt: sg_table, *, kind: type[Addr] | None = None) -> RangeArray:
    """The DMA entries of a table as a RangeArray (not validated)."""
    starts, lens = [], []
    found_kind = None
    for sg in for_each_sgtable_dma_sg(sgt):
        a = sg_dma_address(sg)
        if found_kind is None and isinstance(a, Addr):
            found_kind = type(a)
        starts.append(int(a))
        lens.append(int(sg_dma_len(sg)))
    out = np.zeros(len(starts), dtype=RANGE_DTYPE)
    out["start"] = np.array(starts, dtype=np.uint64)
    out["length"] = np.array(lens, dtype=np.uint64)
    return RangeArray(out, kind=kind or found_kind or DmaAddr, what="sg entries")


def sg_table_free(sgt: sg_table | None) -> None:
    """Free a table made by ``sg_table_from_ranges`` (chunks, then header)."""
    if sgt is None:
        return
    sg_free_table(sgt)
    kfree(sgt)
