"""dma_buf_phys_vec_to_sgt() and dma_buf_free_sgt() (drivers/dma-buf/dma-buf-mapping.c, 6.19 and 7.3).

An MMIO exporter (vfio-pci) describes its buffer as physical ranges
(``phys_vec``).  This helper turns them into an sg_table of DMA addresses
for the attaching device, chosen by how that device reaches the BAR:

* ``PCI_P2PDMA_MAP_BUS_ADDR`` (a switch between them): PCI bus addresses,
  no IOVA at all;
* ``PCI_P2PDMA_MAP_THRU_HOST_BRIDGE``: through the IOMMU, preferably one
  contiguous IOVA span (``dma_iova_try_alloc`` + ``dma_iova_link`` per
  range + ``dma_iova_sync``), else one ``dma_map_phys`` per range (which
  is also the dma-direct case, where DMA address == physical address);
* anything else: -EINVAL.

Entries carry only DMA addresses (no struct pages, ``orig_nents`` 0) and
are cut at ``UINT_MAX`` bytes, the limit of ``sg_dma_len``.

``release`` picks the upstream state.  ``"6.19"``: entries cut at
``UINT_MAX`` (so the second piece of a long range is not page aligned);
``nents`` and ``mapped_len`` are ``unsigned int``, so an IOVA total past
4 GiB wraps (the span is linked in full but synced and described only for
the wrapped length) and an entry count past 2**32 wraps silently.
``"7.3"``: 06dd5e1ae8ce "dma-buf: Split sgl by largest page-aligned chunk"
cuts at ``MAX_SG_ENT_SZ`` = ``ALIGN_DOWN(UINT_MAX, PAGE_SIZE)``, and
b344ca94e8cc "dma-buf: Fix silent overflow for phys vec to sgt" makes
``mapped_len`` a ``size_t`` and lets calc_sg_nents() return 0 on overflow,
which sg_alloc_table() refuses with -EINVAL.  Both releases keep
``orig_nents = 0`` and offset 0 for every ``dma_iova_link()``.
``u32_lengths`` (default: true for a faithful 6.19) selects the wrapping
counters on their own.

``faithful=True`` (default) keeps the code as merged, with the defects the
lab can show (see also dma_buf_free_sgt()): every range is linked at offset 0 of the IOVA span (so a
second range collides with the first and the map fails); when
sg_alloc_table() or the first ``dma_iova_link`` fails nothing gives back
the span reserved by ``dma_iova_try_alloc``; and the per-range error path
unmaps every entry of the table, filled or not.  ``faithful=False`` links
range *i* at the running offset, frees the span on those paths and unmaps
only filled entries.  ``faithful`` is independent of ``release``.
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE, UINT_MAX
from dmabuf_lab.addr import (fill_sg_entry, for_each_sgtable_dma_sg, sg_alloc_table,
                             sg_dma_address, sg_dma_len, sg_free_table, sg_table)
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, ERR_PTR, GFP_KERNEL, WARN_ON, WARN_ON_ONCE,
                               dma_resv_assert_held, kfree, kstruct, kzalloc)
from dmabuf_lab.pci.p2pdma import (PCI_P2PDMA_MAP_BUS_ADDR, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,
                                   pci_p2pdma_bus_addr_map, pci_p2pdma_map_type)

from .dma_mapping import (DMA_ATTR_MMIO, dma_iova_destroy, dma_iova_free, dma_iova_link, dma_iova_state,
                          dma_iova_sync, dma_iova_try_alloc, dma_map_phys, dma_mapping_error,
                          dma_unmap_phys, dma_use_iova)
from dmabuf_lab.twins import mirrors

#: ALIGN_DOWN(UINT_MAX, PAGE_SIZE): 06dd5e1ae8ce's largest page-aligned entry (4 KiB pages).
MAX_SG_ENT_SZ = UINT_MAX & ~(PAGE_SIZE - 1)
#: The two upstream states this module models.
RELEASES = ("6.19", "7.3")
U32 = (1 << 32) - 1


def _max_seg(release: str) -> int:
    if release not in RELEASES:
        raise ValueError(f"dma_buf_phys_vec_to_sgt: unknown release {release!r}; known: {RELEASES}")
    return UINT_MAX if release == "6.19" else MAX_SG_ENT_SZ


class dma_buf_dma(kstruct):
    """struct dma_buf_dma: the sg_table handed out, its IOVA state and total size."""

    fields = (("sgt", sg_table), "state", ("size", 0))


# container_of(sgt, struct dma_buf_dma, sgt): the embedded table's owner.
_OWNER: dict[int, dma_buf_dma] = {}


@mirrors("torvalds/linux@b703b31ea8cd:drivers/dma-buf/dma-buf-mapping.c:calc_sg_nents", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-05"))
@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:calc_sg_nents", revisions=("mainline-7.3-rc6",))
@mirrors("jgunthorpe/linux@476e59f8dedd:drivers/dma-buf/dma-buf-mapping.c:calc_sg_nents", revisions=("mapping-types-2026-03",))
def calc_sg_nents(state, phys_vec, nr_ranges: int, size: int, max_seg: int = UINT_MAX, *,
                  overflow_check: bool = False) -> int:
    """Entries needed: per range without an IOVA span, for the whole span with one.

    The count is an ``unsigned int``.  Without ``overflow_check`` (6.19) a
    sum past 2**32 wraps silently; with it (b344ca94e8cc, 7.3) the function
    returns 0, which sg_alloc_table() refuses.
    """
    if state is None or not dma_use_iova(state):
        nents = 0
        for i in range(nr_ranges):
            added = -(-int(phys_vec[i].len) // max_seg) & U32
            if overflow_check:
                if nents + added > U32:         # check_add_overflow()
                    return 0
                nents += added
            else:
                nents = (nents + added) & U32
        return nents
    return -(-int(size) // max_seg) & U32


@mirrors("torvalds/linux@b703b31ea8cd:drivers/dma-buf/dma-buf-mapping.c:dma_buf_phys_vec_to_sgt", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-05"))
@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:dma_buf_phys_vec_to_sgt", revisions=("mainline-7.3-rc6",))
@mirrors("jgunthorpe/linux@476e59f8dedd:drivers/dma-buf/dma-buf-mapping.c:dma_buf_phys_vec_to_sgt", revisions=("mapping-types-2026-03",))
def dma_buf_phys_vec_to_sgt(attach, provider, phys_vec, nr_ranges: int, size: int,
                            direction: int, *, faithful: bool = True, release: str = "6.19",
                            u32_lengths: bool | None = None):
    """Map an MMIO exporter's ranges for ``attach.dev``; an sg_table or ERR_PTR.

    Needs the reservation lock.  Errors: -EINVAL for a NULL provider (WARN),
    a map type other than BUS_ADDR / THRU_HOST_BRIDGE, or (7.3) an entry
    count that overflows; -ENOMEM when an allocation or a mapping fails.
    ``release``, ``u32_lengths``, ``faithful``: see the module docstring.
    """
    max_seg = _max_seg(release)
    if u32_lengths is None:
        u32_lengths = release == "6.19" and faithful
    dma_resv_assert_held(attach.dmabuf.resv)
    if WARN_ON(attach is None or attach.dmabuf is None or provider is None,
               "dma_buf_phys_vec_to_sgt is for MMIO with a p2pdma provider only"):
        return ERR_PTR(-EINVAL)

    dma = kzalloc(dma_buf_dma)
    if dma is None:
        return ERR_PTR(-ENOMEM)

    map_type = pci_p2pdma_map_type(provider, attach.dev)
    if map_type == PCI_P2PDMA_MAP_BUS_ADDR:
        pass                                    # bus addresses, no IOVA
    elif map_type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
        dma.state = kzalloc(dma_iova_state)
        if dma.state is None:
            kfree(dma)
            return ERR_PTR(-ENOMEM)
        dma_iova_try_alloc(attach.dev, dma.state, 0, size)
    else:
        kfree(dma)
        return ERR_PTR(-EINVAL)

    nents = calc_sg_nents(dma.state, phys_vec, nr_ranges, size, max_seg,
                          overflow_check=release != "6.19")
    ret = sg_alloc_table(dma.sgt, nents, GFP_KERNEL)
    if ret:
        # err_free_state: as merged, a span from dma_iova_try_alloc() is not given back
        if not faithful and dma.state is not None and dma_use_iova(dma.state):
            dma_iova_free(attach.dev, dma.state)
        kfree(dma.state)
        kfree(dma)
        return ERR_PTR(ret)

    sgl = dma.sgt.sgl
    mapped_len = 0
    use_iova = dma.state is not None and dma_use_iova(dma.state)
    i = 0
    ret = 0
    filled = 0
    while i < nr_ranges:
        paddr, length = int(phys_vec[i].paddr), int(phys_vec[i].len)
        if dma.state is None:
            addr = pci_p2pdma_bus_addr_map(provider, paddr)
        elif use_iova:
            # 6.19 links every range at IOVA offset 0 of the span.
            offset = 0 if faithful else mapped_len
            ret = dma_iova_link(attach.dev, dma.state, paddr, offset, length, direction,
                                DMA_ATTR_MMIO)
            if ret:
                break
            mapped_len += length
            if u32_lengths:
                mapped_len &= U32               # unsigned int mapped_len (6.19)
        else:
            addr = dma_map_phys(attach.dev, paddr, length, direction, DMA_ATTR_MMIO)
            ret = dma_mapping_error(attach.dev, addr)
            if ret:
                break
        if not use_iova:
            sgl = fill_sg_entry(sgl, length, addr, max_seg)
            filled += -(-length // max_seg)
        i += 1

    if not ret and use_iova:
        WARN_ON_ONCE(mapped_len != size, "dma_buf_phys_vec_to_sgt: ranges do not add up to size")
        ret = dma_iova_sync(attach.dev, dma.state, 0, mapped_len)
        if not ret:
            sgl = fill_sg_entry(sgl, mapped_len, dma.state.addr, max_seg)

    if not ret:
        dma.size = size
        dma.sgt.orig_nents = 0          # no CPU list: only the DMA side is valid
        WARN_ON_ONCE(sgl is not None, "dma_buf_phys_vec_to_sgt: fewer entries filled than allocated")
        _OWNER[id(dma.sgt)] = dma
        return dma.sgt

    # err_unmap_dma
    if faithful:
        if i == 0 or dma.state is None:
            pass
        elif dma_use_iova(dma.state):
            dma_iova_destroy(attach.dev, dma.state, mapped_len, direction, DMA_ATTR_MMIO)
        else:
            for sg in for_each_sgtable_dma_sg(dma.sgt):
                dma_unmap_phys(attach.dev, sg_dma_address(sg), sg_dma_len(sg), direction,
                               DMA_ATTR_MMIO)
    else:
        if dma.state is None:
            pass
        elif dma_use_iova(dma.state):
            dma_iova_destroy(attach.dev, dma.state, mapped_len, direction, DMA_ATTR_MMIO)
        else:
            for n, sg in enumerate(for_each_sgtable_dma_sg(dma.sgt)):
                if n >= filled:
                    break
                dma_unmap_phys(attach.dev, sg_dma_address(sg), sg_dma_len(sg), direction,
                               DMA_ATTR_MMIO)
    sg_free_table(dma.sgt)
    kfree(dma.state)
    kfree(dma)
    return ERR_PTR(ret)


@mirrors("torvalds/linux@b703b31ea8cd:drivers/dma-buf/dma-buf-mapping.c:dma_buf_free_sgt", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-05"))
@mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:dma_buf_free_sgt", revisions=("mainline-7.3-rc6",))
@mirrors("jgunthorpe/linux@476e59f8dedd:drivers/dma-buf/dma-buf-mapping.c:dma_buf_free_sgt", revisions=("mapping-types-2026-03",))
def dma_buf_free_sgt(attach, sgt, direction: int, *, faithful: bool = True) -> None:
    """Undo dma_buf_phys_vec_to_sgt(): unmap, free the table, the IOVA state and the holder.

    As merged, the table reaches sg_free_table() with ``orig_nents`` 0, and
    sg_free_table() walks ``orig_nents`` entries, so its chunks are never
    freed (a ``leak`` per map/unmap cycle).  ``faithful=False`` restores
    ``orig_nents`` from ``nents`` first.
    """
    dma = _OWNER.pop(id(sgt))                      # container_of()
    dma_resv_assert_held(attach.dmabuf.resv)
    if dma.state is None:
        pass
    elif dma_use_iova(dma.state):
        dma_iova_destroy(attach.dev, dma.state, dma.size, direction, DMA_ATTR_MMIO)
    else:
        for sg in for_each_sgtable_dma_sg(sgt):
            dma_unmap_phys(attach.dev, sg_dma_address(sg), sg_dma_len(sg), direction,
                           DMA_ATTR_MMIO)
    if not faithful:
        sgt.orig_nents = sgt.nents
    sg_free_table(sgt)
    kfree(dma.state)
    kfree(dma)
