"""BAR -> DPA range translation for an SR-IOV PF importing its VFs' VRAM.

The PF sees a VF's VRAM through the VF's LMEM BAR; to program its own page
tables it needs device physical addresses (DPA).  The VF's LMEM object is a
list of 2 MiB-aligned VRAM blocks that need not be contiguous.

Two behaviours, side by side:

``mode="rfc"`` -- as the RFC's ``xe_bo_translate_io_xarray_to_dpa()`` does it:
    the VF is found by ``xe_find_vf_dev()``'s test ``start <= phys <
    start + len - PAGE_SIZE`` (the last page of each VF BAR never matches),
    only each range's *start* goes through ``xe_bo_addr()``, and the length
    is encoded as ``get_order(len)`` (rounded up).  One output per range.
    (The RFC looks the VF up once, from a buffer's first range; here every
    range gets that lookup, so each range says whether it would survive it.)

``mode="correct"`` -- the whole range must lie inside one VF BAR window and
    inside the VF's LMEM quota, and it is split wherever it crosses a VRAM
    block boundary.  Zero or more output segments per range.

:func:`compare_translations` runs both and says, per input range, whether
they disagree and why (``LAST_PAGE``, ``BLOCK_CROSSING``,
``ORDER_OVERSTATED``, ``OVERRUN``).

The topology arrives as plain arrays (:class:`TranslateTopology`).  VF lookup
is either SR-IOV arithmetic (window = (addr - base) / per-VF size: the fast
path) or, for any window set, a load from a window granule table (when the
windows' bases and sizes share a granule that keeps the table small) with
the search over sorted windows for the rest.  Block lookup
is a shift when every block has the same power-of-two size, else one load
from a granule table (every block a multiple of a granule, as LMEM's 2 MiB
blocks are), else a binary search over the VF's cumulative block offsets.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import backends
from .bitops import nb_fls, numba
from .get_order import PAGE_SIZE, get_order_bulk

U64 = np.uint64
GRANULE_TABLE_MAX = 1 << 24  # entries (int32) of the block-lookup table before falling back to search
WINDOW_TABLE_MAX = 1 << 16  # entries (int32) of the window-lookup table before falling back to search
ENODEV = 19
EINVAL = 22
ERANGE = 34

# drm_pagemap_addr: {addr; proto:54; order:8; dir:2}
DRM_INTERCONNECT_SYSTEM = 0
DRM_INTERCONNECT_DRIVER = 1
DMA_BIDIRECTIONAL = 0
DMA_TO_DEVICE = 1
DMA_FROM_DEVICE = 2
DRM_PAGEMAP_ADDR_DTYPE = np.dtype([("addr", "<u8"), ("bits", "<u8")])

# why the RFC and the correct translation disagree (bit flags)
LAST_PAGE = 1          # start lies in the last page of a VF BAR: the RFC finds no VF
BLOCK_CROSSING = 2     # the range runs into a non-adjacent VRAM block: the RFC maps the tail wrongly
ORDER_OVERSTATED = 4   # PAGE_SIZE << get_order(len) > len: the encoded segment is bigger than the range
OVERRUN = 8            # the range runs past its VF window or LMEM quota: correct rejects it, the RFC does not
REASON_NAMES = {LAST_PAGE: "last page", BLOCK_CROSSING: "block crossing",
                ORDER_OVERSTATED: "order overstated", OVERRUN: "overrun"}


def drm_pagemap_addr_encode(addr, proto, order, dir=DMA_BIDIRECTIONAL) -> np.ndarray:
    """Pack ``drm_pagemap_addr`` entries (bitfields as GCC lays them out on x86-64)."""
    addr = np.asarray(addr, dtype=U64)
    out = np.empty(addr.shape, dtype=DRM_PAGEMAP_ADDR_DTYPE)
    out["addr"] = addr
    proto = np.asarray(proto, dtype=U64) & U64((1 << 54) - 1)
    order = np.asarray(order, dtype=U64) & U64(0xFF)
    d = np.asarray(dir, dtype=U64) & U64(0x3)
    out["bits"] = proto | (order << U64(54)) | (d << U64(62))
    return out


def drm_pagemap_addr_decode(entries: np.ndarray) -> dict:
    """Unpack to ``{"addr", "proto", "order", "dir"}`` arrays."""
    bits = entries["bits"]
    return {"addr": entries["addr"], "proto": bits & U64((1 << 54) - 1),
            "order": (bits >> U64(54)) & U64(0xFF), "dir": bits >> U64(62)}


@dataclass
class TranslateTopology:
    """VF BAR windows and each VF's LMEM blocks, as arrays.

    ``win_base``/``win_size``/``win_vf``: one BAR window per VF (sorted by
    base here), ``win_vf`` the VF index (0-based: vfid - 1) behind it.
    ``blk_ptr``: CSR offsets, VF ``v``'s blocks are ``blk_dpa/blk_len[ptr[v]:
    ptr[v+1]]`` in object order.
    """
    win_base: np.ndarray
    win_size: np.ndarray
    win_vf: np.ndarray
    blk_ptr: np.ndarray
    blk_dpa: np.ndarray
    blk_len: np.ndarray
    page_size: int = PAGE_SIZE
    # derived
    blk_off: np.ndarray = field(init=False, repr=False)
    quota: np.ndarray = field(init=False, repr=False)
    sriov_base: int = field(init=False, default=0)
    sriov_size: int = field(init=False, default=0)
    sriov_count: int = field(init=False, default=0)
    block_shift: int = field(init=False, default=0)
    gshift: int = field(init=False, default=-1)
    gptr: np.ndarray = field(init=False, repr=False, default=None)
    gtab: np.ndarray = field(init=False, repr=False, default=None)
    vf_win: np.ndarray = field(init=False, repr=False, default=None)
    wshift: int = field(init=False, default=-1)
    wtab: np.ndarray = field(init=False, repr=False, default=None)

    def __post_init__(self):
        base = np.ascontiguousarray(self.win_base, dtype=U64)
        size = np.ascontiguousarray(self.win_size, dtype=U64)
        vf = np.ascontiguousarray(self.win_vf, dtype=np.int64)
        if not (base.shape == size.shape == vf.shape) or base.ndim != 1:
            raise ValueError("win_base, win_size and win_vf must be 1-D and the same length")
        order = np.argsort(base, kind="stable")
        self.win_base, self.win_size, self.win_vf = base[order], size[order], vf[order]
        if base.size and np.any(self.win_size == 0):
            raise ValueError("a VF BAR window has size 0")
        if base.size > 1 and np.any(self.win_base[:-1] + self.win_size[:-1] > self.win_base[1:]):
            raise ValueError("VF BAR windows overlap")
        self.blk_ptr = np.ascontiguousarray(self.blk_ptr, dtype=np.int64)
        self.blk_dpa = np.ascontiguousarray(self.blk_dpa, dtype=U64)
        self.blk_len = np.ascontiguousarray(self.blk_len, dtype=U64)
        nvf = self.blk_ptr.size - 1
        if nvf < 0 or self.blk_ptr[0] != 0 or np.any(np.diff(self.blk_ptr) < 0) \
                or self.blk_ptr[-1] != self.blk_dpa.size or self.blk_dpa.size != self.blk_len.size:
            raise ValueError("blk_ptr must be CSR offsets over blk_dpa/blk_len")
        if vf.size and (vf.min() < 0 or vf.max() >= nvf):
            raise ValueError(f"win_vf names a VF outside 0..{nvf - 1}")
        if np.unique(vf).size != vf.size:
            raise ValueError("two BAR windows name the same VF")
        self.vf_win = np.full(max(nvf, 1), -1, dtype=np.int64)
        self.vf_win[self.win_vf] = np.arange(self.win_vf.size)
        if np.any(self.blk_len == 0):
            raise ValueError("an LMEM block has length 0")
        # object offset at which each block starts, restarting per VF
        cum = np.cumsum(self.blk_len, dtype=U64)
        off = np.empty_like(self.blk_len)
        if off.size:
            off[0] = 0
            off[1:] = cum[:-1]
            first = self.blk_ptr[:-1][np.diff(self.blk_ptr) > 0]
            starts = off[first]
            reps = np.diff(self.blk_ptr)[np.diff(self.blk_ptr) > 0]
            off = off - np.repeat(starts, reps)
        self.blk_off = off
        ends = np.concatenate([[U64(0)], cum])
        self.quota = (ends[self.blk_ptr[1:]] - ends[self.blk_ptr[:-1]]).astype(U64)
        # SR-IOV layout: equal windows back to back, VF i at window i
        n = self.win_base.size
        if n and np.all(self.win_size == self.win_size[0]) and np.array_equal(self.win_vf, np.arange(n)) \
                and np.all(self.win_base == self.win_base[0] + np.arange(n, dtype=U64) * self.win_size[0]):
            self.sriov_base, self.sriov_size, self.sriov_count = int(self.win_base[0]), int(self.win_size[0]), n
        # a window granule table: when every window base and size is a multiple of g
        # past the first base, wtab[(a - win_base[0]) >> log2 g] names a's window (-1: a gap)
        self.wshift = -1
        self.wtab = np.zeros(1, dtype=np.int32)
        if n:
            rel = self.win_base - self.win_base[0]
            bits = np.bitwise_or.reduce(np.concatenate([rel, self.win_size]))
            g = int(bits & (~bits + U64(1)))
            span = int(self.win_base[-1] - self.win_base[0] + self.win_size[-1])
            if span // g <= WINDOW_TABLE_MAX:
                self.wshift = g.bit_length() - 1
                self.wtab = np.full(span // g, -1, dtype=np.int32)
                for w in range(n):
                    lo = int(rel[w]) // g
                    self.wtab[lo:lo + int(self.win_size[w]) // g] = w
        # one power-of-two block size everywhere, every block aligned: index by shift
        if self.blk_len.size:
            b = int(self.blk_len[0])
            if b & (b - 1) == 0 and np.all(self.blk_len == b):
                self.block_shift = b.bit_length() - 1
        # a granule table: when every block length is a multiple of a granule g
        # (2 MiB for LMEM), gtab[gptr[v] + (off >> log2 g)] names the block of VF v
        # holding object offset ``off`` -- one load instead of a binary search
        if self.blk_len.size:
            low = self.blk_len & (U64(0) - self.blk_len)
            g = int(low.min())
            ntab = int((self.blk_len // U64(g)).sum(dtype=U64))
            if g >= self.page_size and ntab <= GRANULE_TABLE_MAX:
                self.gshift = g.bit_length() - 1
                per_vf = (self.quota // U64(g)).astype(np.int64)
                self.gptr = np.zeros(self.num_vfs + 1, dtype=np.int64)
                np.cumsum(per_vf, out=self.gptr[1:])
                self.gtab = np.repeat(np.arange(self.blk_len.size, dtype=np.int32),
                                      (self.blk_len // U64(g)).astype(np.int64))
        if self.gtab is None:
            self.gptr = np.zeros(1, dtype=np.int64)
            self.gtab = np.zeros(1, dtype=np.int32)

    @property
    def num_vfs(self) -> int:
        return int(self.blk_ptr.size - 1)

    @classmethod
    def sriov(cls, base: int, size_per_vf: int, blocks_per_vf: list, page_size: int = PAGE_SIZE):
        """Windows laid out as SR-IOV does; ``blocks_per_vf[v]`` = [(dpa, len), ...]."""
        n = len(blocks_per_vf)
        ptr = np.zeros(n + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(b) for b in blocks_per_vf])
        dpa = np.array([d for b in blocks_per_vf for d, _ in b], dtype=U64)
        ln = np.array([x for b in blocks_per_vf for _, x in b], dtype=U64)
        return cls(np.array([base + i * size_per_vf for i in range(n)], dtype=U64),
                   np.full(n, size_per_vf, dtype=U64), np.arange(n), ptr, dpa, ln, page_size)


def from_topology(topo, pf_bdf: str, bar: int = 2) -> TranslateTopology:
    """Arrays for :func:`translate_bar_to_dpa` from a ``dmabuf_lab.hw`` topology.

    Reads the PF's SR-IOV VF BAR layout for ``bar`` (xe's LMEM_BAR is 2) and
    every enabled VF's LMEM object blocks.  ``dmabuf_lab.hw`` is imported here,
    not at module level, so the kernels stay importable without it.
    """
    from dmabuf_lab.hw import pci_iov_resource_start  # noqa: F401  (lazy: hw is optional here)

    pf = topo.device(pf_bdf)
    if getattr(pf, "sriov", None) is None:
        raise ValueError(f"{pf_bdf} has no SR-IOV capability")
    vfbar = pf.sriov.vf_bars.get(bar) if isinstance(pf.sriov.vf_bars, dict) else None
    if vfbar is None:
        raise ValueError(f"{pf_bdf} has no VF BAR {bar}")
    base = int(pci_iov_resource_start(pf, bar))
    per_vf = int(vfbar.size_per_vf)
    vfs = sorted((d for d in topo.devices.values() if getattr(d, "physfn", None) is pf),
                 key=lambda d: d.vf_index)
    n = int(pf.sriov.num_vfs) if not vfs else len(vfs)
    blocks = []
    for i in range(n):
        vf = vfs[i] if i < len(vfs) else None
        blocks.append(_vf_lmem_blocks(topo, pf, vf, i))
    return TranslateTopology.sriov(base, per_vf, blocks)


def _vf_lmem_blocks(topo, pf, vf, index):
    """(dpa, len) blocks of VF ``index``'s LMEM object, wherever the hw model keeps it."""
    cands = []
    if vf is not None:
        cands += [getattr(vf, "lmem", None), getattr(vf, "lmem_obj", None)]
    for holder in (getattr(pf, "vram", None), pf, topo):
        for name in ("vf_lmem", "lmem_objs", "vf_lmem_objs"):
            table = getattr(holder, name, None)
            if table is not None:
                try:
                    cands.append(table[index + 1] if isinstance(table, dict) and index + 1 in table
                                 and index not in table else table[index])
                except (KeyError, IndexError, TypeError):
                    pass
    for c in cands:
        if c is not None and hasattr(c, "blocks"):
            return [(int(d), int(n)) for d, n in c.blocks]
    return []


# ----------------------------------------------------------------- results
@dataclass
class TranslateResult:
    """Per-range ``status`` (0 or -errno) and ``vf`` (-1 when none), plus
    segments ``(range_index, dpa, length)`` grouped by range in range order.

    In ``mode="rfc"`` there is exactly one entry per input range (``dpa`` is
    0 where ``status`` is not), ``length`` is the input array itself and
    ``order`` is ``get_order(length)``."""
    mode: str
    status: np.ndarray
    vf: np.ndarray
    range_index: np.ndarray
    dpa: np.ndarray
    length: np.ndarray
    order: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.range_index.shape[0])

    def encode(self, proto: int = DRM_INTERCONNECT_DRIVER, dir: int = DMA_BIDIRECTIONAL) -> np.ndarray:
        """``drm_pagemap_addr`` array for the segments (order = get_order(length))."""
        order = self.order if self.order is not None else get_order_bulk(backends.to_host(self.length))
        return drm_pagemap_addr_encode(backends.to_host(self.dpa), proto, backends.to_host(order), dir)

    def to_host(self) -> "TranslateResult":
        return TranslateResult(self.mode, *(backends.to_host(getattr(self, f)) for f in
                                            ("status", "vf", "range_index", "dpa", "length")),
                               None if self.order is None else backends.to_host(self.order))


# ------------------------------------------------------------ python port
def translate_python(starts, lengths, topo: TranslateTopology, mode: str = "correct") -> TranslateResult:
    """Line-by-line port of the RFC's per-range loop (``xe_find_vf_dev()`` scanning
    the VFs, ``xe_bo_addr()`` walking the object's blocks, ``get_order()``), with
    the fixes applied when ``mode="correct"``.  Slow on purpose: the benchmark's
    baseline and a second oracle."""
    from .get_order import get_order
    page = topo.page_size
    by_vf = sorted(range(topo.win_base.size), key=lambda w: int(topo.win_vf[w]))
    wins = [(int(topo.win_base[w]), int(topo.win_size[w]), int(topo.win_vf[w])) for w in by_vf]
    blocks = [list(zip(topo.blk_dpa[topo.blk_ptr[v]:topo.blk_ptr[v + 1]].tolist(),
                       topo.blk_len[topo.blk_ptr[v]:topo.blk_ptr[v + 1]].tolist())) for v in range(topo.num_vfs)]
    quota = topo.quota.tolist()
    n = len(starts)
    status, vfs, ri, dpa, ln, order = [0] * n, [-1] * n, [], [], [], []
    rfc = mode == "rfc"
    for i in range(n):
        phys, length = int(starts[i]), int(lengths[i])
        io_start = vf = -1
        for base, size, v in wins:  # list_for_each_entry(pdev, &bus->devices, bus_list)
            end = base + size - page if rfc else base + size
            if base <= phys < end:
                io_start, io_size, vf = base, size, v
                break
        if vf < 0:
            status[i] = -ENODEV
            if rfc:
                ri.append(i), dpa.append(0), ln.append(length), order.append(get_order(length))
            continue
        vfs[i] = vf
        offset = phys - io_start
        if rfc:
            if offset >= quota[vf]:
                status[i] = -ERANGE
                addr = 0
            else:
                pos = 0  # xe_res_cursor: skip whole blocks, then the offset inside one
                for bdpa, blen in blocks[vf]:
                    if offset < pos + blen:
                        addr = bdpa + offset - pos
                        break
                    pos += blen
            ri.append(i), dpa.append(addr), ln.append(length), order.append(get_order(length))
            continue
        if length == 0:
            status[i] = -EINVAL
            continue
        if offset + length > io_size or offset + length > quota[vf]:
            status[i] = -ERANGE
            continue
        pos, end = 0, offset + length
        for bdpa, blen in blocks[vf]:
            lo, hi = max(offset, pos), min(end, pos + blen)
            if lo < hi:
                ri.append(i), dpa.append(bdpa + lo - pos), ln.append(hi - lo)
            pos += blen
            if pos >= end:
                break
    return TranslateResult(mode, np.array(status, dtype=np.int32), np.array(vfs, dtype=np.int32),
                           np.array(ri, dtype=np.int64), np.array(dpa, dtype=U64), np.array(ln, dtype=U64),
                           np.array(order, dtype=np.uint8) if rfc else None)


# ------------------------------------------------------------ numpy reference
def _lookup_windows_np(t: TranslateTopology, starts, lengths, rfc: bool):
    """Window index per range (-1: none) by binary search, and the VF behind it."""
    w = np.searchsorted(t.win_base, starts, side="right").astype(np.int64) - 1
    ok = w >= 0
    wc = np.where(ok, w, 0)
    if t.win_base.size == 0:
        return np.full(starts.shape, -1, dtype=np.int64)
    end = t.win_base[wc] + t.win_size[wc]
    if rfc:
        ok &= starts < end - U64(t.page_size)
    else:
        ok &= starts < end
    return np.where(ok, w, -1)


def _block_at_np(t: TranslateTopology, vf, off):
    """Global block index holding object offset ``off`` of VF ``vf`` (both arrays)."""
    lo = t.blk_ptr[vf]
    hi = t.blk_ptr[vf + 1]
    # every VF's blocks are consecutive in the CSR arrays: search the running
    # total of all block lengths, starting from where VF ``vf``'s object begins
    gstart = np.cumsum(t.blk_len, dtype=U64) - t.blk_len
    vf_start = np.where(hi > lo, gstart[np.minimum(lo, max(gstart.size - 1, 0))], U64(0)) if gstart.size \
        else np.zeros(vf.shape, dtype=U64)
    k = np.searchsorted(gstart, vf_start + off, side="right").astype(np.int64) - 1
    return np.clip(k, lo, np.maximum(hi - 1, lo))


def _reference(starts, lengths, t: TranslateTopology, mode: str, lookup: str) -> TranslateResult:
    n = starts.shape[0]
    rfc = mode == "rfc"
    w = _lookup_windows_np(t, starts, lengths, rfc)
    found = w >= 0
    wc = np.where(found, w, 0)
    vf = np.where(found, t.win_vf[wc] if t.win_vf.size else 0, -1).astype(np.int32)
    status = np.where(found, 0, -ENODEV).astype(np.int32)
    off = np.where(found, starts - (t.win_base[wc] if t.win_base.size else U64(0)), U64(0))
    vfc = np.where(found, vf, 0).astype(np.int64)
    quota = t.quota[vfc] if t.quota.size else np.zeros(n, dtype=U64)
    if rfc:
        # only the start is translated; past the object the cursor would WARN
        inq = found & (off < quota)
        status = np.where(found & ~inq, -ERANGE, status).astype(np.int32)
        dpa = np.zeros(n, dtype=U64)
        idx = np.nonzero(inq)[0]
        k = _block_at_np(t, vfc[idx], off[idx])
        dpa[idx] = t.blk_dpa[k] + (off[idx] - t.blk_off[k])
        return TranslateResult("rfc", status, vf, np.arange(n, dtype=np.int64), dpa, lengths,
                               get_order_bulk(lengths).astype(np.uint8))
    wsize = t.win_size[wc] if t.win_size.size else np.zeros(n, dtype=U64)
    over = found & ((lengths > wsize - off) | (lengths > quota - np.minimum(off, quota)) | (off >= quota))
    status = np.where(over, -ERANGE, status)
    status = np.where(found & (lengths == 0), -EINVAL, status).astype(np.int32)
    good = np.nonzero(status == 0)[0]
    # count -> prefix sum -> emit, in numpy: first and last block per range
    g_vf = vfc[good]
    g_off = off[good]
    g_end = g_off + lengths[good] - U64(1)
    k0 = _block_at_np(t, g_vf, g_off)
    k1 = _block_at_np(t, g_vf, g_end)
    cnt = (k1 - k0 + 1).astype(np.int64)
    total = int(cnt.sum())
    rep = np.repeat(np.arange(good.size), cnt)
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    k = np.repeat(k0, cnt) + (np.arange(total) - first)
    seg_lo = np.maximum(t.blk_off[k], np.repeat(g_off, cnt))
    seg_hi = np.minimum(t.blk_off[k] + t.blk_len[k] - U64(1), np.repeat(g_end, cnt))
    dpa = t.blk_dpa[k] + (seg_lo - t.blk_off[k])
    return TranslateResult("correct", status, vf, good[rep].astype(np.int64), dpa, seg_hi - seg_lo + U64(1))


# ------------------------------------------------------------ numba (CPU)
# numba kernels live at module level so cache=True can reuse them between runs


@numba.njit(inline="always", cache=True)
def upper_index(keys, lo, hi, x):
    """Index of the last ``keys[lo:hi]`` element <= x (lo - 1 if none); keys sorted.

    Short lists are counted in one pass the compiler vectorises (a handful of
    VF windows or blocks); longer ones are searched by halving."""
    n = hi - lo
    if n <= 64:
        c = 0
        for k in range(lo, hi):
            c += keys[k] <= x
        return lo + c - 1
    base = lo
    while n > 1:
        half = n >> 1
        base = base + half if keys[base + half] <= x else base
        n -= half
    return base if keys[base] <= x else base - 1


@numba.njit(inline="always", cache=True)
def block_of(v, off, blk_ptr, blk_off, gshift, gptr, gtab):
    """Global index of VF v's block holding object offset off (off < quota)."""
    if gshift >= 0:
        return np.int64(gtab[gptr[v] + np.int64(off >> U64(gshift))])
    return upper_index(blk_off, blk_ptr[v], blk_ptr[v + 1], off)


@numba.njit(inline="always", cache=True)
def locate(a, ln, use_sriov, sb, ss, sc, sshift, win_base, win_size, win_vf, quota, rfc, page):
    """(status, vf, offset into the window) for one range."""
    w = np.int64(-1)
    if use_sriov:
        if a >= sb:
            rel = a - sb
            q = rel >> U64(sshift) if sshift >= 0 else rel // ss
            if q < U64(sc):
                w = np.int64(q)
    else:
        w = upper_index(win_base, 0, win_base.shape[0], a)
    if w < 0:
        return -ENODEV, -1, U64(0)
    off = a - win_base[w]
    wsz = win_size[w]
    if off >= wsz or (rfc and off >= wsz - page):
        return -ENODEV, -1, U64(0)
    v = win_vf[w]
    q = quota[v]
    if rfc:
        if off >= q:
            return -ERANGE, v, off
        return 0, v, off
    if ln == U64(0):
        return -EINVAL, v, off
    if ln > wsz - off or off >= q or ln > q - off:
        return -ERANGE, v, off
    return 0, v, off


@numba.njit(inline="always", cache=True)
def count_fast_block(starts, lengths, lo, hi, sb, sshift, sc, quota, bshift, status, vfo):
    """Fast path (SR-IOV arithmetic, one power-of-two block size), ranges
    ``[lo, hi)``: write status and VF, return the number of segments.  No
    searches, two stores per range."""
    wmask = (U64(1) << U64(sshift)) - U64(1)
    wsz = U64(1) << U64(sshift)
    tot = np.int64(0)
    for i in range(lo, hi):
        a = starts[i]
        ln = lengths[i]
        rel = a - sb
        w = rel >> U64(sshift)
        st = np.int32(0)
        v = np.int32(-1)
        if a >= sb and w < U64(sc):
            v = np.int32(w)
            off = rel & wmask
            q = quota[v]
            if ln == U64(0):
                st = np.int32(-EINVAL)
            elif ln > wsz - off or off >= q or ln > q - off:
                st = np.int32(-ERANGE)
            else:
                tot += np.int64(((off + ln - U64(1)) >> U64(bshift)) - (off >> U64(bshift))) + 1
        else:
            st = np.int32(-ENODEV)
        status[i] = st
        vfo[i] = v
    return tot


@numba.njit(inline="always", cache=True)
def emit_fast_block(starts, lengths, lo, hi, j, sb, sshift, sc, quota, blk_ptr, blk_dpa, bshift, o_ri, o_dpa, o_len):
    """Fast path, ranges ``[lo, hi)``: write their segments from ``o_*[j]``.
    Recomputing the cheap checks beats reading status and VF back."""
    wmask = (U64(1) << U64(sshift)) - U64(1)
    wsz = U64(1) << U64(sshift)
    bsize = U64(1) << U64(bshift)
    bmask = bsize - U64(1)
    for i in range(lo, hi):
        a = starts[i]
        rem = lengths[i]
        rel = a - sb
        w = rel >> U64(sshift)
        if a < sb or w >= U64(sc):
            continue
        off = rel & wmask
        q = quota[w]
        if rem == U64(0) or rem > wsz - off or off >= q or rem > q - off:
            continue
        k = U64(blk_ptr[w]) + (off >> U64(bshift))
        inner = off & bmask
        seg = bsize - inner
        if seg >= rem:  # the common case: the range stays inside one block
            o_ri[j] = i
            o_dpa[j] = blk_dpa[k] + inner
            o_len[j] = rem
            j += U64(1)
            continue
        while rem != U64(0):
            if seg > rem:
                seg = rem
            o_ri[j] = i
            o_dpa[j] = blk_dpa[k] + inner
            o_len[j] = seg
            rem -= seg
            inner = U64(0)
            seg = bsize
            k += U64(1)
            j += U64(1)
    return j


@numba.njit(parallel=True, cache=True)
def count_fast(starts, lengths, sb, sshift, sc, quota, bshift, bounds, chunk_counts, status, vfo):
    for c in numba.prange(bounds.shape[0] - 1):
        chunk_counts[c] = count_fast_block(starts, lengths, U64(bounds[c]), U64(bounds[c + 1]), sb, sshift, sc,
                                           quota, bshift, status, vfo)


@numba.njit(parallel=True, cache=True)
def emit_fast(starts, lengths, sb, sshift, sc, quota, blk_ptr, blk_dpa, bshift, bounds, offsets,
              o_ri, o_dpa, o_len):
    for c in numba.prange(bounds.shape[0] - 1):
        emit_fast_block(starts, lengths, U64(bounds[c]), U64(bounds[c + 1]), U64(offsets[c]), sb, sshift, sc,
                        quota, blk_ptr, blk_dpa, bshift, o_ri, o_dpa, o_len)


@numba.njit(parallel=True, cache=True)
def count_pass(starts, lengths, use_sriov, sb, ss, sc, sshift, win_base, win_size, win_vf,
               quota, blk_ptr, blk_off, gshift, gptr, gtab, page, bounds, chunk_counts, status, vfo):
    for c in numba.prange(bounds.shape[0] - 1):
        tot = np.int64(0)
        for i in range(U64(bounds[c]), U64(bounds[c + 1])):
            st, v, off = locate(starts[i], lengths[i], use_sriov, sb, ss, sc, sshift,
                                win_base, win_size, win_vf, quota, False, page)
            status[i] = st
            vfo[i] = v
            if st == 0:
                last = off + lengths[i] - U64(1)
                if gshift >= 0 and (off >> U64(gshift)) == (last >> U64(gshift)):
                    tot += 1  # inside one granule, so inside one block: no lookup needed
                else:
                    k0 = block_of(v, off, blk_ptr, blk_off, gshift, gptr, gtab)
                    k1 = block_of(v, last, blk_ptr, blk_off, gshift, gptr, gtab)
                    tot += k1 - k0 + 1
        chunk_counts[c] = tot


@numba.njit(parallel=True, cache=True)
def emit_pass(starts, lengths, vf_win, win_base, blk_ptr, blk_off, blk_len, blk_dpa, gshift, gptr, gtab,
              bounds, offsets, status, vfo, o_ri, o_dpa, o_len):
    for c in numba.prange(bounds.shape[0] - 1):
        j = U64(offsets[c])
        for i in range(U64(bounds[c]), U64(bounds[c + 1])):
            if status[i] != 0:
                continue
            # validated by the count pass, which also recorded the VF: its window is vf_win[v]
            v = vfo[i]
            off = starts[i] - win_base[vf_win[v]]
            k = block_of(v, off, blk_ptr, blk_off, gshift, gptr, gtab)
            inner = off - blk_off[k]
            rem = lengths[i]
            seg = blk_len[k] - inner
            if seg >= rem:  # the common case: inside one block
                o_ri[j] = i
                o_dpa[j] = blk_dpa[k] + inner
                o_len[j] = rem
                j += U64(1)
                continue
            while rem != U64(0):
                if seg > rem:
                    seg = rem
                o_ri[j] = i
                o_dpa[j] = blk_dpa[k] + inner
                o_len[j] = seg
                rem -= seg
                inner = U64(0)
                k += 1
                seg = blk_len[k] if rem != U64(0) else U64(0)
                j += U64(1)


@numba.njit(parallel=True, cache=True)
def rfc_pass(starts, lengths, use_sriov, sb, ss, sc, sshift, win_base, win_size, win_vf,
             quota, blk_ptr, blk_off, blk_dpa, bshift, gshift, gptr, gtab, page, status, vfo, ri, dpa, order):
    for i in numba.prange(starts.shape[0]):
        st, v, off = locate(starts[i], lengths[i], use_sriov, sb, ss, sc, sshift,
                            win_base, win_size, win_vf, quota, True, page)
        status[i] = st
        vfo[i] = v
        ri[i] = i
        d = U64(0)
        if st == 0:
            if bshift > 0:
                k = blk_ptr[v] + np.int64(off >> U64(bshift))
            else:
                k = block_of(v, off, blk_ptr, blk_off, gshift, gptr, gtab)
            d = blk_dpa[k] + (off - blk_off[k])
        dpa[i] = d
        # get_order(len) = fls64((len - 1) >> PAGE_SHIFT)
        x = (lengths[i] - U64(1)) >> U64(12)
        order[i] = 0 if x == U64(0) else nb_fls(x) + 1


@numba.njit(inline="always", cache=True)
def window_of(a, use_sriov, sb, ss, sshift, sc, wshift, wtab, win_base):
    """Window index of BAR address ``a`` (-1: none), O(1) unless the layout is pathological.

    SR-IOV arithmetic; else one load from the window granule table (every
    window boundary a multiple of 2**wshift past the first base); else the
    search over sorted bases.  The caller still checks ``a`` < the window's end."""
    if use_sriov:
        if a < sb:
            return np.int64(-1)
        rel = a - sb
        q = rel >> U64(sshift) if sshift >= 0 else rel // ss
        return np.int64(q) if q < U64(sc) else np.int64(-1)
    if wshift >= 0:
        if a < win_base[0]:
            return np.int64(-1)
        g = (a - win_base[0]) >> U64(wshift)
        return np.int64(wtab[g]) if g < U64(wtab.shape[0]) else np.int64(-1)
    return upper_index(win_base, 0, win_base.shape[0], a)


@numba.njit(inline="always", cache=True)
def place(a, ln, use_sriov, sb, ss, sshift, sc, wshift, wtab, win_base, win_size, win_vf, quota,
          blk_ptr, blk_off, blk_len, bshift, gshift, gptr, gtab):
    """Correct-mode translation of one range up to its first block:
    (status, vf, first block, offset into it, number of segments)."""
    w = window_of(a, use_sriov, sb, ss, sshift, sc, wshift, wtab, win_base)
    if w < 0:
        return np.int32(-ENODEV), np.int32(-1), np.int64(0), U64(0), np.int64(0)
    off = a - win_base[w]
    wsz = win_size[w]
    if off >= wsz:
        return np.int32(-ENODEV), np.int32(-1), np.int64(0), U64(0), np.int64(0)
    v = win_vf[w]
    q = quota[v]
    if ln == U64(0):
        return np.int32(-EINVAL), np.int32(v), np.int64(0), U64(0), np.int64(0)
    if ln > wsz - off or off >= q or ln > q - off:
        return np.int32(-ERANGE), np.int32(v), np.int64(0), U64(0), np.int64(0)
    last = off + ln - U64(1)
    if bshift > 0:  # one power-of-two block size: shifts only
        k = blk_ptr[v] + np.int64(off >> U64(bshift))
        m = np.int64((last >> U64(bshift)) - (off >> U64(bshift))) + 1
        return np.int32(0), np.int32(v), k, off & ((U64(1) << U64(bshift)) - U64(1)), m
    k = block_of(v, off, blk_ptr, blk_off, gshift, gptr, gtab)
    inner = off - blk_off[k]
    if ln <= blk_len[k] - inner:
        return np.int32(0), np.int32(v), k, inner, np.int64(1)
    return np.int32(0), np.int32(v), k, inner, block_of(v, last, blk_ptr, blk_off, gshift, gptr, gtab) - k + 1


@numba.njit(inline="always", cache=True)
def write_segments(i, k, inner, rem, m, j, blk_len, blk_dpa, o_ri, o_dpa, o_len):
    """Write range ``i``'s ``m`` segments at ``o_*[j:j + m]``, starting ``inner`` bytes into block ``k``."""
    if m == 1:  # the common case: the range stays inside one block
        o_ri[j] = i
        o_dpa[j] = blk_dpa[k] + inner
        o_len[j] = rem
        return
    seg = blk_len[k] - inner
    for s in range(m):
        if seg > rem:
            seg = rem
        o_ri[j] = i
        o_dpa[j] = blk_dpa[k] + inner
        o_len[j] = seg
        rem -= seg
        inner = U64(0)
        k += 1
        j += U64(1)
        if s + 1 < m:
            seg = blk_len[k]


@numba.njit(parallel=True, cache=True)
def translate_one_pass(starts, lengths, use_sriov, sb, ss, sshift, sc, wshift, wtab, win_base, win_size, win_vf,
                       quota, blk_ptr, blk_off, blk_len, blk_dpa, bshift, gshift, gptr, gtab, half, mid,
                       status, vfo, o_ri, o_dpa, o_len, ends):
    """Correct mode in one read of the input, with two threads and no count pass.

    Thread 0 walks ranges ``[0, half)`` backwards and writes its segments
    backwards so that they end at ``mid``; thread 1 walks ``[half, n)``
    forwards writing from ``mid``.  The two halves meet at ``mid``, so the
    result is the contiguous ``o_*[ends[0]:ends[1]]`` whatever each half
    emitted.  ``ends[t] = -1`` when thread ``t`` ran out of room (the caller
    then runs count -> emit)."""
    n = starts.shape[0]
    cap = U64(o_ri.shape[0])
    for t in numba.prange(2):
        j = U64(mid)
        if t == 0:
            i = U64(half)
            while i > U64(0):
                i -= U64(1)
                ln = lengths[i]
                st, v, k, inner, m = place(starts[i], ln, use_sriov, sb, ss, sshift, sc, wshift, wtab, win_base,
                                           win_size, win_vf, quota, blk_ptr, blk_off, blk_len, bshift, gshift,
                                           gptr, gtab)
                status[i] = st
                vfo[i] = v
                if st != 0:
                    continue
                if U64(m) > j:
                    j = U64(1) << U64(63)  # overflow marker
                    break
                j -= U64(m)
                write_segments(i, k, inner, ln, m, j, blk_len, blk_dpa, o_ri, o_dpa, o_len)
        else:
            for i in range(U64(half), U64(n)):
                ln = lengths[i]
                st, v, k, inner, m = place(starts[i], ln, use_sriov, sb, ss, sshift, sc, wshift, wtab, win_base,
                                           win_size, win_vf, quota, blk_ptr, blk_off, blk_len, bshift, gshift,
                                           gptr, gtab)
                status[i] = st
                vfo[i] = v
                if st != 0:
                    continue
                if U64(m) > cap - j:
                    j = U64(1) << U64(63)
                    break
                write_segments(i, k, inner, ln, m, j, blk_len, blk_dpa, o_ri, o_dpa, o_len)
                j += U64(m)
        ends[t] = -1 if j == U64(1) << U64(63) else np.int64(j)


def _numba_kernels():
    return {"count": count_pass, "emit": emit_pass, "rfc": rfc_pass, "count_fast": count_fast,
            "emit_fast": emit_fast}


def _sriov_args(t: TranslateTopology, lookup: str):
    use = lookup == "sriov"
    size = t.sriov_size if use else 1
    shift = (size.bit_length() - 1) if use and size & (size - 1) == 0 else -1
    return use, U64(t.sriov_base), U64(size), np.int64(t.sriov_count), np.int64(shift)


def _numba(starts, lengths, t: TranslateTopology, mode: str, lookup: str, workspace=None,
           fused: bool | None = None) -> TranslateResult:
    from .iommu_map_split import chunk_bounds
    k = _numba_kernels()
    n = starts.shape[0]
    use, sb, ss, sc, sshift = _sriov_args(t, lookup)
    page = U64(t.page_size)
    ws = workspace
    status = backends.empty(ws, "status", n, np.int32)
    vfo = backends.empty(ws, "vf", n, np.int32)
    if mode == "rfc":
        ri = backends.empty(ws, "ri", n, np.int64)
        dpa = backends.empty(ws, "dpa", n, U64)
        order = backends.empty(ws, "order", n, np.uint8)
        k["rfc"](starts, lengths, use, sb, ss, sc, sshift, t.win_base, t.win_size, t.win_vf, t.quota, t.blk_ptr,
                 t.blk_off, t.blk_dpa, np.int64(t.block_shift), np.int64(t.gshift), t.gptr, t.gtab, page,
                 status, vfo, ri, dpa, order)
        return TranslateResult("rfc", status, vfo, ri, dpa, lengths, order)
    fast = use and sshift >= 0 and t.block_shift > 0
    if fused is None:
        # The one-pass kernel runs on two threads: only where that is all there is.  On the
        # fast path count -> emit stays faster (2-core VM, 10^7 ranges: 2.35 vs 2.6 ns per
        # range): its count loop is so cheap that the second read costs less than doing the
        # count and the emission in one branchy loop.
        fused = numba.get_num_threads() <= 2 and not fast
    if fused and n:
        half = n // 2
        slack = n // 8 + 64  # room for segments beyond one per range, on each side of the meeting point
        cap = n + 2 * slack
        o_ri = backends.empty(ws, "ri", cap, np.int64)
        o_dpa = backends.empty(ws, "dpa", cap, U64)
        o_len = backends.empty(ws, "len", cap, U64)
        ends = np.zeros(2, dtype=np.int64)
        translate_one_pass(starts, lengths, use, sb, ss, sshift, sc if use else np.int64(0), np.int64(t.wshift),
                           t.wtab, t.win_base, t.win_size, t.win_vf, t.quota, t.blk_ptr, t.blk_off, t.blk_len,
                           t.blk_dpa, np.int64(t.block_shift), np.int64(t.gshift), t.gptr, t.gtab,
                           np.int64(half), np.int64(half + slack), status, vfo, o_ri, o_dpa, o_len, ends)
        e0, e1 = int(ends[0]), int(ends[1])
        if e0 >= 0 and e1 >= 0:
            return TranslateResult("correct", status, vfo, o_ri[e0:e1], o_dpa[e0:e1], o_len[e0:e1])
    bounds = chunk_bounds(n)
    cc = np.zeros(bounds.shape[0] - 1, dtype=np.int64)
    if fast:
        k["count_fast"](starts, lengths, sb, sshift, sc, t.quota, np.int64(t.block_shift), bounds, cc, status, vfo)
    else:
        k["count"](starts, lengths, use, sb, ss, sc, sshift, t.win_base, t.win_size, t.win_vf,
                   t.quota, t.blk_ptr, t.blk_off, np.int64(t.gshift), t.gptr, t.gtab, page, bounds, cc, status, vfo)
    offsets = np.zeros(cc.size + 1, dtype=np.int64)
    np.cumsum(cc, out=offsets[1:])
    total = int(offsets[-1])
    o_ri = backends.empty(ws, "ri", total, np.int64)
    o_dpa = backends.empty(ws, "dpa", total, U64)
    o_len = backends.empty(ws, "len", total, U64)
    if fast:
        k["emit_fast"](starts, lengths, sb, sshift, sc, t.quota, t.blk_ptr, t.blk_dpa, np.int64(t.block_shift),
                       bounds, offsets, o_ri, o_dpa, o_len)
    else:
        k["emit"](starts, lengths, t.vf_win, t.win_base, t.blk_ptr, t.blk_off, t.blk_len, t.blk_dpa,
                  np.int64(t.gshift), t.gptr, t.gtab, bounds, offsets, status, vfo, o_ri, o_dpa, o_len)
    return TranslateResult("correct", status, vfo, o_ri, o_dpa, o_len)


# ------------------------------------------------------------ numba.cuda
_CUDA = {}
cuda = None  # numba.cuda, bound on first use


def _cuda_kernels():
    # ``cuda`` must be a module global: the simulator swaps it per kernel
    global cuda
    if _CUDA:
        return _CUDA
    from numba import cuda

    @cuda.jit(device=True)
    def locate(a, ln, use_sriov, sb, ss, sc, win_base, win_size, win_vf, quota, rfc, page):
        w = -1
        if use_sriov:
            if a >= sb:
                q = (a - sb) // ss
                if q < U64(sc):
                    w = np.int64(q)
        else:
            lo = 0
            hi = win_base.shape[0]
            while lo < hi:
                mid = (lo + hi) >> 1
                if win_base[mid] <= a:
                    lo = mid + 1
                else:
                    hi = mid
            w = lo - 1
        if w < 0:
            return -ENODEV, -1, U64(0), w
        end = win_base[w] + win_size[w]
        if rfc:
            end = end - page
        if a >= end:
            return -ENODEV, -1, U64(0), -1
        v = win_vf[w]
        off = a - win_base[w]
        if rfc:
            if off >= quota[v]:
                return -ERANGE, v, off, w
            return 0, v, off, w
        if ln == U64(0):
            return -EINVAL, v, off, w
        if ln > win_size[w] - off or off >= quota[v] or ln > quota[v] - off:
            return -ERANGE, v, off, w
        return 0, v, off, w

    @cuda.jit(device=True)
    def block_at(blk_off, lo, hi, off):
        h = hi
        while lo < h:
            mid = (lo + h) >> 1
            if blk_off[mid] <= off:
                lo = mid + 1
            else:
                h = mid
        return lo - 1

    @cuda.jit
    def count_kernel(starts, lengths, use_sriov, sb, ss, sc, win_base, win_size, win_vf, quota,
                     blk_ptr, blk_off, page, counts, status, vfo, offs):
        i = cuda.grid(1)
        if i >= starts.shape[0]:
            return
        st, v, off, w = locate(starts[i], lengths[i], use_sriov, sb, ss, sc, win_base, win_size,
                               win_vf, quota, False, page)
        status[i] = st
        vfo[i] = v
        offs[i] = off
        counts[i] = 0
        if st == 0:
            k0 = block_at(blk_off, blk_ptr[v], blk_ptr[v + 1], off)
            k1 = block_at(blk_off, blk_ptr[v], blk_ptr[v + 1], off + lengths[i] - U64(1))
            counts[i] = k1 - k0 + 1

    @cuda.jit
    def emit_kernel(lengths, blk_ptr, blk_off, blk_len, blk_dpa, offsets, status, vfo, offs,
                    o_ri, o_dpa, o_len):
        i = cuda.grid(1)
        if i >= lengths.shape[0] or status[i] != 0:
            return
        v = vfo[i]
        off = offs[i]
        j = offsets[i]
        k = block_at(blk_off, blk_ptr[v], blk_ptr[v + 1], off)
        inner = off - blk_off[k]
        remaining = lengths[i]
        while remaining != U64(0):
            seg = blk_len[k] - inner
            if seg > remaining:
                seg = remaining
            o_ri[j] = i
            o_dpa[j] = blk_dpa[k] + inner
            o_len[j] = seg
            remaining -= seg
            inner = U64(0)
            k += 1
            j += 1

    @cuda.jit
    def rfc_kernel(starts, lengths, use_sriov, sb, ss, sc, win_base, win_size, win_vf, quota,
                   blk_ptr, blk_off, blk_dpa, page, status, vfo, dpa, order):
        i = cuda.grid(1)
        if i >= starts.shape[0]:
            return
        st, v, off, w = locate(starts[i], lengths[i], use_sriov, sb, ss, sc, win_base, win_size,
                               win_vf, quota, True, page)
        status[i] = st
        vfo[i] = v
        dpa[i] = U64(0)
        if st == 0:
            k = block_at(blk_off, blk_ptr[v], blk_ptr[v + 1], off)
            dpa[i] = blk_dpa[k] + (off - blk_off[k])
        x = (lengths[i] - U64(1)) >> U64(12)
        o = 0
        while x != U64(0):
            x = x >> U64(1)
            o += 1
        order[i] = o

    _CUDA.update(count=count_kernel, emit=emit_kernel, rfc=rfc_kernel)
    return _CUDA


def _cuda(starts, lengths, t: TranslateTopology, mode: str, lookup: str) -> TranslateResult:
    from .iommu_map_split import DeviceArrays
    k = _cuda_kernels()
    dev = DeviceArrays(backends.is_device_array(starts))
    starts, lengths = dev.put(starts), dev.put(lengths)
    tw = [dev.put(a) for a in (t.win_base, t.win_size, t.win_vf, t.quota, t.blk_ptr, t.blk_off)]
    n = starts.shape[0]
    use, sb, ss, sc, _ = _sriov_args(t, lookup)
    page = U64(t.page_size)
    status = dev.zeros(n, np.int32)
    vfo = dev.zeros(n, np.int32)
    blocks, threads = backends.cuda_launch_shape(n)
    if mode == "rfc":
        dpa = dev.zeros(n, U64)
        order = dev.zeros(n, np.uint8)
        if n:
            k["rfc"][blocks, threads](starts, lengths, use, sb, ss, sc, *tw[:5], tw[5], dev.put(t.blk_dpa),
                                      page, status, vfo, dpa, order)
        xp = dev.cp if dev.cp is not None else np
        return TranslateResult("rfc", dev.out(status), dev.out(vfo), dev.out(xp.arange(n, dtype=np.int64)),
                               dev.out(dpa), dev.out(lengths), dev.out(order))
    counts = dev.zeros(n, np.int64)
    offs = dev.zeros(n, U64)
    if n:
        k["count"][blocks, threads](starts, lengths, use, sb, ss, sc, *tw, page, counts, status, vfo, offs)
    offsets = dev.exclusive_scan(counts)
    total = int(offsets[-1])
    o_ri, o_dpa, o_len = dev.empty(total, np.int64), dev.empty(total, U64), dev.empty(total, U64)
    if n and total:
        k["emit"][blocks, threads](lengths, tw[4], tw[5], dev.put(t.blk_len), dev.put(t.blk_dpa), offsets,
                                   status, vfo, offs, o_ri, o_dpa, o_len)
    return TranslateResult("correct", dev.out(status), dev.out(vfo), dev.out(o_ri), dev.out(o_dpa), dev.out(o_len))


_IMPLS = {"reference": _reference, "numba": _numba, "cuda": _cuda}


def translate_bar_to_dpa(starts, lengths, topo: TranslateTopology, mode: str = "correct",
                         lookup: str = "auto", backend: str = "auto", workspace=None,
                         one_pass: bool | None = None) -> TranslateResult:
    """Translate ranges of VF BAR addresses into VRAM DPA segments.

    ``mode``: ``"correct"`` or ``"rfc"`` (see the module text).  ``lookup``:
    ``"sriov"`` (arithmetic; needs an SR-IOV window layout), ``"windows"``
    (binary search over sorted windows) or ``"auto"`` (SR-IOV when the
    layout allows).  Inputs are uint64 arrays (CuPy arrays stay on the GPU
    with ``backend="cuda"``).  ``workspace``: a :class:`backends.Workspace` whose
    buffers the numba backend reuses (results are views, valid until its next use).
    ``one_pass``: numba only, correct mode.  ``None`` (default): on a machine
    with at most two numba threads, read the input once with
    :func:`translate_one_pass` (two threads meeting in the middle of the
    output, no count pass); with more threads, count -> emit over all of them.
    ``True``/``False`` force one or the other.
    """
    if mode not in ("correct", "rfc"):
        raise ValueError(f"mode must be 'correct' or 'rfc', got {mode!r}")
    if lookup == "auto":
        lookup = "sriov" if topo.sriov_count else "windows"
    if lookup not in ("sriov", "windows"):
        raise ValueError(f"lookup must be 'sriov', 'windows' or 'auto', got {lookup!r}")
    if lookup == "sriov" and not topo.sriov_count:
        raise ValueError("lookup='sriov' needs equal, back-to-back VF windows in VF order")
    be = backends.resolve(backend)
    if be != "cuda" or not backends.is_device_array(starts):
        starts = np.ascontiguousarray(backends.to_host(starts), dtype=U64)
        lengths = np.ascontiguousarray(backends.to_host(lengths), dtype=U64)
        if starts.shape != lengths.shape or starts.ndim != 1:
            raise ValueError("starts and lengths must be 1-D arrays of the same length")
    if be == "numba":
        return _numba(starts, lengths, topo, mode, lookup, workspace, fused=one_pass)
    return _IMPLS[be](starts, lengths, topo, mode, lookup)


# ------------------------------------------------------------ comparison
@dataclass
class Disagreement:
    """Per input range: ``reasons`` (bit flags, 0 = the two agree)."""
    reasons: np.ndarray
    rfc: TranslateResult
    correct: TranslateResult

    @property
    def indices(self) -> np.ndarray:
        return np.nonzero(self.reasons)[0]

    def counts(self) -> dict:
        """How many ranges disagree for each reason (a range may have several)."""
        return {name: int(np.count_nonzero(self.reasons & bit)) for bit, name in REASON_NAMES.items()}

    def explain(self, i: int) -> list[str]:
        return [name for bit, name in REASON_NAMES.items() if self.reasons[i] & bit]


def compare_translations(starts, lengths, topo: TranslateTopology, lookup: str = "auto",
                         backend: str = "auto") -> Disagreement:
    """Run both behaviours and flag, per range, where and why they differ."""
    starts = np.ascontiguousarray(backends.to_host(starts), dtype=U64)
    lengths = np.ascontiguousarray(backends.to_host(lengths), dtype=U64)
    rfc = translate_bar_to_dpa(starts, lengths, topo, "rfc", lookup, backend).to_host()
    cor = translate_bar_to_dpa(starts, lengths, topo, "correct", lookup, backend).to_host()
    n = starts.shape[0]
    reasons = np.zeros(n, dtype=np.int32)
    # the RFC's lookup missed a range the correct lookup places
    cor_found = cor.vf >= 0
    reasons |= np.where(cor_found & (rfc.vf < 0), LAST_PAGE, 0).astype(np.int32)
    # encoded segment longer than the range (only where the RFC produced one)
    rfc_ok = rfc.status == 0
    rfc_dpa = rfc.dpa
    order = get_order_bulk(lengths)
    over = (U64(PAGE_SIZE) << order.astype(U64)) > lengths
    reasons |= np.where(rfc_ok & over, ORDER_OVERSTATED, 0).astype(np.int32)
    # the correct path refuses a range the RFC translated
    reasons |= np.where(rfc_ok & (cor.status == -ERANGE), OVERRUN, 0).astype(np.int32)
    # segment k of range i must sit at rfc_dpa[i] + (its offset into the range)
    if len(cor):
        ri = cor.range_index
        first = np.ones(ri.size, dtype=bool)
        first[1:] = ri[1:] != ri[:-1]
        seg_start = np.cumsum(cor.length, dtype=U64) - cor.length
        base = np.maximum.accumulate(np.where(first, np.arange(ri.size), 0))
        rel = seg_start - seg_start[base]
        wrong = rfc_ok[ri] & (cor.dpa != rfc_dpa[ri] + rel)
        bad = np.zeros(n, dtype=bool)
        bad[ri[wrong]] = True
        reasons |= np.where(bad, BLOCK_CROSSING, 0).astype(np.int32)
    return Disagreement(reasons, rfc, cor)
