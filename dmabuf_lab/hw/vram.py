"""Device VRAM with a buddy allocator, and the LMEM objects carved from it.

The model follows the shape of ``drivers/gpu/drm/drm_buddy.c`` as xe uses it:
the region is split into power-of-two roots, each free list holds blocks of
one order (``block_size << order`` bytes, naturally aligned), an allocation
splits a larger block when no block of its order is free and a free merges a
block with its buddy while the buddy is free too.

An allocation that does not have to be contiguous is served like
``drm_buddy_alloc_blocks()``: take the largest order that still fits the
remaining size, fall back to smaller orders when none is free.  That is why a
VF's LMEM quota (``xe_gt_sriov_pf_config.c`` rounds it up to 2 MiB and backs it
with one pinned object) can be several 2 MiB-aligned blocks scattered through
VRAM.  Where a choice is free the lab takes the lowest address, so every run
with the same calls gives the same layout.
"""
from __future__ import annotations

import bisect

from dmabuf_lab.addr.consts import PAGE_SHIFT, PAGE_SIZE, SZ_2M
from dmabuf_lab.errors import TopologyError
from dmabuf_lab.kmodel import EINVAL, KernelError
from dmabuf_lab.pci.pci import is_power_of_2



class LmemObject:
    """A VRAM buffer object: its blocks as ``(dpa, length)`` in allocation order."""

    def __init__(self, vram: "Vram", blocks: list[tuple[int, int]], *, owner=None, name: str = "",
                 requested: int = 0):
        self.vram = vram
        self.blocks = blocks
        self.owner = owner
        self.name = name
        self.requested = requested or self.size
        self.freed = False

    @property
    def size(self) -> int:
        """Bytes backed by the object (the request rounded up to the block size)."""
        return sum(length for _, length in self.blocks)

    @property
    def ranges(self) -> list[tuple[int, int]]:
        """The blocks in DPA order with touching neighbours merged."""
        out: list[list[int]] = []
        for dpa, length in sorted(self.blocks):
            if out and out[-1][0] + out[-1][1] == dpa:
                out[-1][1] += length
            else:
                out.append([dpa, length])
        return [(a, n) for a, n in out]

    @property
    def is_contiguous(self) -> bool:
        """True when the object is one DPA run."""
        return len(self.ranges) <= 1

    def free(self) -> None:
        """Give the blocks back to VRAM."""
        self.vram.free(self)

    def __repr__(self) -> str:
        return f"<LmemObject {self.name!r} {self.size:#x} bytes in {len(self.blocks)} blocks>"


class Vram:
    """A device's local memory of ``size`` bytes at DPA ``base``, managed in ``block_size`` units."""

    def __init__(self, size: int, block_size: int = SZ_2M, *, base: int = 0, name: str = "VRAM"):
        if not is_power_of_2(block_size):
            raise TopologyError(f"VRAM block size {block_size:#x} is not a power of two", field="block_size")
        if size <= 0 or size % block_size:
            raise TopologyError(f"VRAM size {size:#x} is not a positive multiple of the "
                                f"{block_size:#x}-byte block size", field="vram.size")
        if base % block_size:
            raise TopologyError(f"VRAM base {base:#x} is not aligned to {block_size:#x}", field="vram.base")
        self.size = size
        self.chunk = block_size
        self.base = base
        self.name = name
        self.objects: list[LmemObject] = []
        # roots: (offset, order), naturally aligned, covering [0, size)
        self.roots: list[tuple[int, int]] = []
        off, left = 0, size
        while left:
            order = (left // block_size).bit_length() - 1
            self.roots.append((off, order))
            off += block_size << order
            left -= block_size << order
        self.max_order = max(o for _, o in self.roots)
        self.free_lists: dict[int, list[int]] = {o: [] for o in range(self.max_order + 1)}
        for off, order in self.roots:
            bisect.insort(self.free_lists[order], off)
        self.allocated: dict[int, int] = {}        # offset -> order of blocks in use
        self._root_starts = [o for o, _ in self.roots]

    # -- bookkeeping -------------------------------------------------------------------
    def _bytes(self, order: int) -> int:
        return self.chunk << order

    def _root_order(self, off: int) -> int:
        i = bisect.bisect_right(self._root_starts, off) - 1
        return self.roots[i][1]

    @property
    def used(self) -> int:
        """Bytes in allocated blocks."""
        return sum(self._bytes(o) for o in self.allocated.values())

    @property
    def avail(self) -> int:
        """Bytes in free blocks."""
        return self.size - self.used

    def free_blocks(self) -> list[tuple[int, int]]:
        """Free blocks as ``(dpa, length)`` in DPA order."""
        return sorted((self.base + off, self._bytes(o)) for o, offs in self.free_lists.items() for off in offs)

    # -- buddy operations --------------------------------------------------------------
    def _take(self, order: int) -> int | None:
        """Allocate one block of ``order``: the smallest free order that fits, split down, lowest address."""
        for i in range(order, self.max_order + 1):
            if self.free_lists[i]:
                off = self.free_lists[i].pop(0)
                while i > order:
                    i -= 1
                    bisect.insort(self.free_lists[i], off + self._bytes(i))   # right half stays free
                self.allocated[off] = order
                return off
        return None

    def _release(self, off: int, order: int) -> None:
        """Free one block and merge it with its buddy while the buddy is free."""
        del self.allocated[off]
        root_order = self._root_order(off)
        while order < root_order:
            buddy = off ^ self._bytes(order)
            lst = self.free_lists[order]
            j = bisect.bisect_left(lst, buddy)
            if j >= len(lst) or lst[j] != buddy:
                break
            lst.pop(j)
            off = min(off, buddy)
            order += 1
        bisect.insort(self.free_lists[order], off)

    def _trim(self, off: int, order: int, need: int, out: list[int]) -> None:
        """Keep the first ``need`` bytes of an allocated block, freeing the rest (as drm_buddy_block_trim)."""
        if need == self._bytes(order):
            out.append(off)
            return
        del self.allocated[off]
        half = self._bytes(order - 1)
        self.allocated[off] = order - 1
        self.allocated[off + half] = order - 1
        if need <= half:
            self._release(off + half, order - 1)
            self._trim(off, order - 1, need, out)
        else:
            out.append(off)
            self._trim(off + half, order - 1, need - half, out)

    def alloc(self, size: int, contiguous: bool = False, owner=None, name: str = "") -> LmemObject | None:
        """Allocate ``size`` bytes (rounded up to the block size); None when VRAM cannot hold it.

        ``contiguous=True`` asks for one DPA run (a power-of-two block trimmed to size).
        """
        if size <= 0:
            return None
        need = -(-size // self.chunk) * self.chunk
        pages = need // self.chunk
        got: list[int] = []
        if contiguous:
            order = (pages - 1).bit_length()
            if order > self.max_order:
                return None
            off = self._take(order)
            if off is None:
                return None
            self._trim(off, order, need, got)
        else:
            order = pages.bit_length() - 1
            while pages:
                order = min(order, pages.bit_length() - 1)
                while True:
                    off = self._take(order)
                    if off is not None:
                        break
                    if order == 0:
                        for o in got:
                            self._release(o, self.allocated[o])
                        return None
                    order -= 1
                got.append(off)
                pages -= 1 << order
        obj = LmemObject(self, [(self.base + o, self._bytes(self.allocated[o])) for o in got],
                         owner=owner, name=name, requested=size)
        self.objects.append(obj)
        return obj

    def free(self, obj: LmemObject) -> None:
        """Return an object's blocks; freeing twice is a TopologyError (a lab misuse)."""
        if obj.freed or obj.vram is not self:
            raise TopologyError(f"LMEM object {obj.name!r} is not live in {self.name}", field="lmem")
        for dpa, _ in obj.blocks:
            off = dpa - self.base
            self._release(off, self.allocated[off])
        obj.freed = True
        self.objects.remove(obj)

    def check(self) -> None:
        """Assert the allocator's invariants: free and used blocks tile the region, aligned, no overlap,
        and no two free buddies left unmerged.  Raises AssertionError (a model bug, not user input)."""
        spans = [(off, self._bytes(o), "used") for off, o in self.allocated.items()]
        spans += [(off, self._bytes(o), "free") for o, offs in self.free_lists.items() for off in offs]
        spans.sort()
        pos = 0
        for off, length, _ in spans:
            assert off == pos, f"gap or overlap at {off:#x} (expected {pos:#x})"
            assert off % length == 0, f"block {off:#x}+{length:#x} is not naturally aligned"
            pos = off + length
        assert pos == self.size, f"blocks end at {pos:#x}, VRAM is {self.size:#x}"
        for order, offs in self.free_lists.items():
            s = set(offs)
            for off in offs:
                buddy = off ^ self._bytes(order)
                if order < self._root_order(off):
                    assert buddy not in s, f"free buddies {off:#x}/{buddy:#x} of order {order} not merged"


def induce_fragmentation(vram: Vram, count: int, size: int | None = None, *, owner=None,
                         name: str = "scratch") -> list[LmemObject]:
    """Allocate ``count`` objects of ``size`` (one block by default) and free every second one.

    Leaves ``count // 2`` holes between kept objects, the same way every time;
    returns the objects that stay allocated.
    """
    size = vram.chunk if size is None else size
    objs = []
    for i in range(count):
        obj = vram.alloc(size, contiguous=True, owner=owner, name=f"{name}{i}")
        if obj is None:
            raise TopologyError(f"{vram.name}: no room for {count} scratch objects of {size:#x}",
                                field="vram")
        objs.append(obj)
    kept = []
    for i, obj in enumerate(objs):
        if i % 2:
            obj.free()
        else:
            kept.append(obj)
    return kept


def xe_bo_addr(obj: LmemObject, offset: int, page_size: int = PAGE_SIZE) -> int:
    """Device physical address of byte ``offset`` of a VRAM object (``__xe_bo_addr()``).

    Walks the object's blocks in order, as the resource cursor does.  An
    offset outside the object fails with KernelError(-EINVAL) (the kernel's
    cursor would WARN and read past the resource).
    """
    if obj.freed:
        raise KernelError(-EINVAL, f"xe_bo_addr: {obj.name!r} has been freed")
    if page_size > PAGE_SIZE:
        raise KernelError(-EINVAL, f"xe_bo_addr: page_size {page_size:#x} > PAGE_SIZE")
    if offset < 0 or offset + page_size > obj.size:
        raise KernelError(-EINVAL, f"xe_bo_addr: offset {offset:#x} + {page_size:#x} is past the end "
                                   f"of {obj.name or 'the object'} ({obj.size:#x} bytes)")
    page_start = (offset >> PAGE_SHIFT) << PAGE_SHIFT
    in_page = offset & (PAGE_SIZE - 1)
    pos = 0
    for dpa, length in obj.blocks:
        if page_start < pos + length:
            return dpa + (page_start - pos) + in_page
        pos += length
    raise KernelError(-EINVAL, "xe_bo_addr: cursor ran off the block list")   # unreachable: size checked


def xe_bo_addr_range(obj: LmemObject, offset: int, length: int) -> list[tuple[int, int]]:
    """Split ``[offset, offset+length)`` of an object at block boundaries: ``[(dpa, len), ...]``.

    The correct translation of a range that may cross blocks (the RFC only
    translates each range's start); lab helper.
    """
    if length <= 0 or offset < 0 or offset + length > obj.size:
        raise KernelError(-EINVAL, f"range {offset:#x}+{length:#x} outside {obj.size:#x}-byte object")
    out = []
    pos = 0
    end = offset + length
    for dpa, blen in obj.blocks:
        lo, hi = max(offset, pos), min(end, pos + blen)
        if lo < hi:
            out.append((dpa + lo - pos, hi - lo))
        pos += blen
        if pos >= end:
            break
    return out
