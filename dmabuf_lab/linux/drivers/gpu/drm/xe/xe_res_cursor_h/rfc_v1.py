"""xe's resource cursor over DMA-address arrays and sg_tables (xe_res_cursor.h).

The page-table walk asks the cursor for (address, bytes) runs.  Over an
array of :class:`~dmabuf_lab.linux.include.drm.drm_pagemap_h.rfc_v1.drm_pagemap_addr`
(``xe_res_first_dma``) each entry stands for ``PAGE_SIZE << order`` bytes,
and ``__xe_res_dma_next`` merges the following entries while their addresses
touch and their ``proto`` is the same.  So an entry whose order claims more
bytes than its range has shifts every later byte of the BO onto the wrong
entry.  ``xe_res_first_sg`` over a NULL table WARNs and then dereferences it.

RFC v1 patch 8/8 (the RFC v1 thread (2025-10-14)) binds an imported VF
buffer with ``xe_res_first_dma(bo->dma_data.dma_addr, ...)``.
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE, for_each_sgtable_dma_sg, sg_dma_address, sg_dma_len
from dmabuf_lab.kmodel import WARN_ON, kstruct
from dmabuf_lab.revisions.base import deref
from dmabuf_lab.twins import mirrors


class xe_res_cursor(kstruct):
    """The cursor: offset in the current segment, its size, bytes left, the array position."""

    fields = (("start", 0), ("size", 0), ("remaining", 0), "dma_addr", ("idx", 0),
              ("dma_start", 0), ("dma_seg_size", 0), "sgl")


def _entry(arr, i):
    """``addr[i]`` of the array; past its end the model records KASAN's report and returns None."""
    e = arr[i]
    return e if isinstance(e, kstruct) else None


@mirrors("posting:interconnects-rfc-v1#8/8:drivers/gpu/drm/xe/xe_res_cursor.h:__xe_res_dma_next", revisions=("rfc-v1",))
def __xe_res_dma_next(cur: xe_res_cursor) -> None:
    """Step to the entry holding ``cur.start`` and coalesce touching entries after it."""
    arr = cur.dma_addr
    i = cur.idx
    start = cur.start
    while start >= cur.dma_seg_size:
        start -= cur.dma_seg_size
        i += 1
        e = _entry(arr, i)
        if e is None:
            break
        cur.dma_seg_size = PAGE_SIZE << e.order
    cur.dma_start = arr[i].addr if _entry(arr, i) is not None else 0
    while cur.dma_seg_size - start < cur.remaining:
        nxt = _entry(arr, i + 1)
        if nxt is None or cur.dma_start + cur.dma_seg_size != nxt.addr or arr[i].proto != nxt.proto:
            break
        i += 1
        cur.dma_seg_size += PAGE_SIZE << nxt.order
    cur.idx = i
    cur.start = start
    cur.size = cur.dma_seg_size - start


@mirrors("posting:interconnects-rfc-v1#8/8:drivers/gpu/drm/xe/xe_res_cursor.h:xe_res_first_dma", revisions=("rfc-v1",))
def xe_res_first_dma(dma_addr, start: int, size: int, cur: xe_res_cursor) -> None:
    """Start a walk of ``size`` bytes at byte ``start`` over a drm_pagemap_addr array."""
    WARN_ON(dma_addr is None, "xe_res_first_dma: NULL array")
    WARN_ON(start % PAGE_SIZE or size % PAGE_SIZE, "xe_res_first_dma: unaligned start or size")
    if dma_addr is None:
        deref(None, "order", "xe_res_first_dma")
    first = dma_addr[0]
    cur.start = start
    cur.remaining = size
    cur.dma_seg_size = PAGE_SIZE << first.order
    cur.dma_start = 0
    cur.size = 0
    cur.idx = 0
    cur.dma_addr = dma_addr
    __xe_res_dma_next(cur)
    cur.sgl = None


@mirrors("posting:interconnects-rfc-v1#8/8:drivers/gpu/drm/xe/xe_res_cursor.h:xe_res_first_sg", revisions=("rfc-v1",))
def xe_res_first_sg(sg, start: int, size: int, cur: xe_res_cursor) -> None:
    """Start a walk over an sg_table; a NULL table WARNs, then ``sg->sgl`` oopses."""
    WARN_ON(sg is None, "xe_res_first_sg: NULL sg_table")
    deref(sg, "sgl", "xe_res_first_sg")
    cur.start = start
    cur.remaining = size
    cur.size = 0
    cur.dma_addr = None
    cur.sgl = [(int(sg_dma_address(s)), sg_dma_len(s)) for s in for_each_sgtable_dma_sg(sg)]
    cur.idx = 0
    _sg_next(cur)


def _sg_next(cur: xe_res_cursor) -> None:
    """``__xe_res_sg_next``: skip whole sg entries, then describe the current one."""
    start = cur.start
    while cur.idx < len(cur.sgl) and start >= cur.sgl[cur.idx][1]:
        start -= cur.sgl[cur.idx][1]
        cur.idx += 1
    cur.start = start
    cur.size = cur.sgl[cur.idx][1] - start if cur.idx < len(cur.sgl) else 0


@mirrors("posting:interconnects-rfc-v1#8/8:drivers/gpu/drm/xe/xe_res_cursor.h:xe_res_next", revisions=("rfc-v1",))
def xe_res_next(cur: xe_res_cursor, size: int) -> None:
    """Advance ``size`` bytes, moving to the next segment when this one is used up."""
    WARN_ON(size > cur.remaining, "xe_res_next past the end")
    cur.remaining -= size
    if not cur.remaining:
        return
    if cur.size > size:
        cur.size -= size
        cur.start += size
        return
    cur.start += size
    if cur.dma_addr is not None:
        __xe_res_dma_next(cur)
    elif cur.sgl is not None:
        _sg_next(cur)


@mirrors("posting:interconnects-rfc-v1#8/8:drivers/gpu/drm/xe/xe_res_cursor.h:xe_res_dma", revisions=("rfc-v1",))
def xe_res_dma(cur: xe_res_cursor) -> int:
    """Address at the cursor."""
    if cur.dma_addr is not None:
        return cur.dma_start + cur.start
    return cur.sgl[cur.idx][0] + cur.start


def xe_res_walk(cur: xe_res_cursor) -> list[tuple[int, int, int]]:
    """Drain the cursor into ``(offset, address, bytes)`` runs, as the bind walk consumes it."""
    out = []
    off = 0
    while cur.remaining:
        n = min(cur.size, cur.remaining)
        if n <= 0:
            WARN_ON(True, "xe_res cursor ran out of segments")
            break
        out.append((off, xe_res_dma(cur), n))
        off += n
        xe_res_next(cur, n)
    return out
