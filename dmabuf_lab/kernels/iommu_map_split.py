"""Bulk page splitting: the ``__iommu_map`` loop for millions of ranges.

For every range ``(iova, paddr, size)`` the kernel repeats
``iommu_pgsize()`` until the range is covered and records each step as one
chunk ``(range index, iova, paddr, pgsize, count)`` -- what the driver's
``map_pages()`` callback would be called with.

Every fast backend runs count -> prefix-sum -> emit: one pass counts the
steps (per chunk of ranges on the CPU, per range on the GPU), a prefix sum
turns counts into output offsets, a second pass writes the chunks.  With at
most two CPU threads the numba backend does both in one read of the input
(:func:`split_one_pass`: each range counted then written, the two threads
writing towards each other).  A range
whose ``iova``, ``paddr`` or ``size`` is not aligned to the smallest
supported page fails like ``__iommu_map`` with ``-EINVAL`` and emits nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backends
from .bitops import numba
from .iommu_pgsize_step import cuda_iommu_pgsize_step
from .iommu_pgsize_step import iommu_pgsize_step as step
from .bitops import __ffs, np_ffs, np_fls64
from .iommu_pgsize import iommu_map_steps

EINVAL = 22
U64 = np.uint64


@dataclass
class SplitResult:
    """Chunks in range order; ``status[i]`` is 0 or ``-EINVAL`` per input range."""
    range_index: np.ndarray  # int64
    iova: np.ndarray         # uint64
    paddr: np.ndarray        # uint64
    pgsize: np.ndarray       # uint64
    count: np.ndarray        # uint64
    status: np.ndarray       # int32

    def __len__(self) -> int:
        return int(self.range_index.shape[0])

    def entries(self) -> int:
        """Leaf entries written: the sum of ``count``."""
        return int(backends.to_host(self.count).sum(dtype=np.uint64))

    def to_host(self) -> "SplitResult":
        return SplitResult(*(backends.to_host(getattr(self, f)) for f in
                             ("range_index", "iova", "paddr", "pgsize", "count", "status")))


def _as_u64(a, name):
    if backends.is_device_array(a):
        return a
    arr = np.ascontiguousarray(a, dtype=np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr


def _check_bitmap(pgsize_bitmap: int) -> int:
    pgsize_bitmap = int(pgsize_bitmap)
    if pgsize_bitmap <= 0 or pgsize_bitmap >= 1 << 64:
        raise ValueError(f"pgsize_bitmap must be a non-zero 64-bit mask, got {pgsize_bitmap:#x}")
    return pgsize_bitmap


# ------------------------------------------------------------ python port
def iommu_map_split_python(iova, paddr, size, pgsize_bitmap: int) -> SplitResult:
    """Line-by-line port of the per-range ``__iommu_map`` loop (slow; the oracle)."""
    pgsize_bitmap = _check_bitmap(pgsize_bitmap)
    ri, io, pa, ps, cn = [], [], [], [], []
    status = np.zeros(len(iova), dtype=np.int32)
    for i, (v, p, s) in enumerate(zip(iova, paddr, size)):
        steps = iommu_map_steps(pgsize_bitmap, int(v), int(p), int(s))
        if isinstance(steps, int):
            status[i] = steps
            continue
        for (sv, sp, pg, c) in steps:
            ri.append(i)
            io.append(sv)
            pa.append(sp)
            ps.append(pg)
            cn.append(c)
    return SplitResult(np.array(ri, dtype=np.int64), np.array(io, dtype=U64), np.array(pa, dtype=U64),
                       np.array(ps, dtype=U64), np.array(cn, dtype=U64), status)


# ------------------------------------------------------------ numpy reference
def _reference(iova, paddr, size, pgsize_bitmap: int) -> SplitResult:
    """All ranges advance one ``iommu_pgsize`` step per round, in numpy."""
    bitmap = U64(pgsize_bitmap)
    min_pagesz = U64(1 << __ffs(pgsize_bitmap))
    bad = ((iova | paddr | size) & (min_pagesz - U64(1))) != 0
    status = np.where(bad, np.int32(-EINVAL), np.int32(0)).astype(np.int32)
    idx = np.nonzero(~bad & (size != 0))[0]
    v, p, s = iova[idx], paddr[idx], size[idx]
    parts = []
    rnd = 0
    while idx.size:
        merge = v | p
        # bitmap sizes <= the highest bit of size
        lim = np_fls64(s) - 1
        # ... and <= the lowest set bit of iova | paddr
        lim = np.where(merge != 0, np.minimum(lim, np_ffs(merge)), lim)
        pgsizes = bitmap & ((U64(2) << lim.astype(U64)) - U64(1))
        pg_idx = np_fls64(pgsizes) - 1
        # the next bigger supported size decides how far to go
        above = bitmap & ~((U64(2) << pg_idx.astype(U64)) - U64(1))
        nxt = np.where(above != 0, U64(1) << np.minimum(np_ffs(above), 63).astype(U64), U64(0))
        nm1 = nxt - U64(1)
        off = nxt - (merge & nm1)
        shrink = (above != 0) & (((v ^ p) & nm1) == 0) & (off + nxt <= s)
        eff = np.where(shrink, off, s)
        cnt = eff >> pg_idx.astype(U64)
        pgs = U64(1) << pg_idx.astype(U64)
        mapped = pgs * cnt
        parts.append((idx, np.full(idx.size, rnd, dtype=np.int64), v.copy(), p.copy(), pgs, cnt))
        v, p, s = v + mapped, p + mapped, s - mapped
        keep = s != 0
        idx, v, p, s = idx[keep], v[keep], p[keep], s[keep]
        rnd += 1
    if not parts:
        e64 = np.zeros(0, dtype=np.int64)
        e = np.zeros(0, dtype=U64)
        return SplitResult(e64, e, e.copy(), e.copy(), e.copy(), status)
    ri, rd, io, pa, ps, cn = (np.concatenate(c) for c in zip(*parts))
    order = np.lexsort((rd, ri))
    return SplitResult(ri[order], io[order], pa[order], ps[order], cn[order], status)


# ------------------------------------------------------------ numba (CPU)
# numba kernels live at module level so cache=True can reuse them between runs


@numba.njit(inline="always", cache=True)
def count_range(bitmap, minmask, iova, paddr, size):
    if ((iova | paddr | size) & minmask) != U64(0):
        return -1
    k = 0
    while size != U64(0):
        idx, cnt = step(bitmap, iova, paddr, size)
        mapped = cnt << U64(idx)
        size -= mapped
        iova += mapped
        paddr += mapped
        k += 1
    return k

@numba.njit(parallel=True, cache=True)
def count_chunks(bitmap, minmask, iova, paddr, size, bounds, chunk_counts, status):
    for c in numba.prange(bounds.shape[0] - 1):
        tot = 0
        for i in range(U64(bounds[c]), U64(bounds[c + 1])):
            k = count_range(bitmap, minmask, iova[i], paddr[i], size[i])
            if k < 0:
                status[i] = -EINVAL
            else:
                status[i] = 0
                tot += k
        chunk_counts[c] = tot

@numba.njit(parallel=True, cache=True)
def emit_chunks(bitmap, minmask, iova, paddr, size, bounds, offsets, status,
                o_ri, o_iova, o_paddr, o_pgsize, o_count):
    for c in numba.prange(bounds.shape[0] - 1):
        j = U64(offsets[c])
        for i in range(U64(bounds[c]), U64(bounds[c + 1])):
            if status[i] != 0:
                continue
            v = iova[i]
            p = paddr[i]
            s = size[i]
            while s != U64(0):
                idx, cnt = step(bitmap, v, p, s)
                o_ri[j] = i
                o_iova[j] = v
                o_paddr[j] = p
                o_pgsize[j] = U64(1) << U64(idx)
                o_count[j] = cnt
                mapped = cnt << U64(idx)
                s -= mapped
                v += mapped
                p += mapped
                j += U64(1)


@numba.njit(inline="always", cache=True)
def write_steps(i, v, p, s, j, bitmap, o_ri, o_iova, o_paddr, o_pgsize, o_count):
    """Write the chunks of one valid range at ``o_*[j:]``."""
    while s != U64(0):
        idx, cnt = step(bitmap, v, p, s)
        o_ri[j] = i
        o_iova[j] = v
        o_paddr[j] = p
        o_pgsize[j] = U64(1) << U64(idx)
        o_count[j] = cnt
        mapped = cnt << U64(idx)
        s -= mapped
        v += mapped
        p += mapped
        j += U64(1)


@numba.njit(parallel=True, cache=True)
def split_one_pass(bitmap, minmask, iova, paddr, size, half, mid, status,
                   o_ri, o_iova, o_paddr, o_pgsize, o_count, ends):
    """count -> emit in one read of the input, on two threads: thread 0 walks
    ranges ``[0, half)`` backwards writing its chunks so they end at ``mid``,
    thread 1 walks ``[half, n)`` forwards from ``mid``; the chunks are
    ``o_*[ends[0]:ends[1]]`` in range order.  ``ends[t] = -1``: thread t ran
    out of room (the caller then runs count -> emit)."""
    n = iova.shape[0]
    cap = U64(o_ri.shape[0])
    for t in numba.prange(2):
        j = U64(mid)
        ok = True
        lo = U64(0) if t == 0 else U64(half)
        hi = U64(half) if t == 0 else U64(n)
        for r in range(hi - lo):
            i = hi - U64(1) - r if t == 0 else lo + r
            v = iova[i]
            p = paddr[i]
            s = size[i]
            k = count_range(bitmap, minmask, v, p, s)
            status[i] = -EINVAL if k < 0 else 0
            if k <= 0:
                continue
            if t == 0:
                if U64(k) > j:
                    ok = False
                    break
                j -= U64(k)
                write_steps(i, v, p, s, j, bitmap, o_ri, o_iova, o_paddr, o_pgsize, o_count)
            else:
                if U64(k) > cap - j:
                    ok = False
                    break
                write_steps(i, v, p, s, j, bitmap, o_ri, o_iova, o_paddr, o_pgsize, o_count)
                j += U64(k)
        ends[t] = np.int64(j) if ok else -1


def _numba_kernels():
    return {"count_chunks": count_chunks, "emit_chunks": emit_chunks}


def chunk_bounds(n: int, per_thread: int = 16) -> np.ndarray:
    """Split ``n`` items into contiguous chunks for the CPU count/emit passes."""
    import numba
    nchunks = max(1, min(n, numba.get_num_threads() * per_thread))
    return np.linspace(0, n, nchunks + 1).astype(np.int64)


def _numba(iova, paddr, size, pgsize_bitmap: int, workspace=None, one_pass: bool | None = None) -> SplitResult:
    k = _numba_kernels()
    n = iova.shape[0]
    bitmap = U64(pgsize_bitmap)
    minmask = U64((1 << __ffs(pgsize_bitmap)) - 1)
    if one_pass is None:  # the one-pass kernel runs on two threads: use it where that is all there is
        one_pass = numba.get_num_threads() <= 2
    if one_pass and n:
        half = n // 2
        slack = n // 2 + 64  # room for two chunks per range on average before falling back
        out = tuple(backends.empty(workspace, key, n + 2 * slack, dt) for key, dt in
                    (("ri", np.int64), ("iova", U64), ("paddr", U64), ("pgsize", U64), ("count", U64)))
        status = backends.empty(workspace, "status", n, np.int32)
        ends = np.zeros(2, dtype=np.int64)
        split_one_pass(bitmap, minmask, iova, paddr, size, np.int64(half), np.int64(half + slack), status,
                       *out, ends)
        e0, e1 = int(ends[0]), int(ends[1])
        if e0 >= 0 and e1 >= 0:
            return SplitResult(*(a[e0:e1] for a in out), status)
    bounds = chunk_bounds(n)
    chunk_counts = np.zeros(bounds.shape[0] - 1, dtype=np.int64)
    status = backends.empty(workspace, "status", n, np.int32)
    k["count_chunks"](bitmap, minmask, iova, paddr, size, bounds, chunk_counts, status)
    offsets = np.zeros(chunk_counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(chunk_counts, out=offsets[1:])
    total = int(offsets[-1])
    out = tuple(backends.empty(workspace, key, total, dt) for key, dt in
                (("ri", np.int64), ("iova", U64), ("paddr", U64), ("pgsize", U64), ("count", U64)))
    k["emit_chunks"](bitmap, minmask, iova, paddr, size, bounds, offsets, status, *out)
    return SplitResult(*out, status)


# ------------------------------------------------------------ numba.cuda
_CUDA = {}
cuda = None  # numba.cuda, bound on first use


def _cuda_kernels():
    # ``cuda`` must be a module global: the simulator swaps it per kernel
    global cuda
    if _CUDA:
        return _CUDA
    from numba import cuda
    step = cuda_iommu_pgsize_step()

    @cuda.jit
    def count_kernel(bitmap, minmask, iova, paddr, size, counts, status):
        i = cuda.grid(1)
        if i >= iova.shape[0]:
            return
        v = iova[i]
        p = paddr[i]
        s = size[i]
        if ((v | p | s) & minmask) != U64(0):
            status[i] = -EINVAL
            counts[i] = 0
            return
        status[i] = 0
        k = 0
        while s != U64(0):
            idx, cnt = step(bitmap, v, p, s)
            mapped = cnt << U64(idx)
            s -= mapped
            v += mapped
            p += mapped
            k += 1
        counts[i] = k

    @cuda.jit
    def emit_kernel(bitmap, iova, paddr, size, offsets, status, o_ri, o_iova, o_paddr, o_pgsize, o_count):
        i = cuda.grid(1)
        if i >= iova.shape[0] or status[i] != 0:
            return
        j = offsets[i]
        v = iova[i]
        p = paddr[i]
        s = size[i]
        while s != U64(0):
            idx, cnt = step(bitmap, v, p, s)
            o_ri[j] = i
            o_iova[j] = v
            o_paddr[j] = p
            o_pgsize[j] = U64(1) << U64(idx)
            o_count[j] = cnt
            mapped = cnt << U64(idx)
            s -= mapped
            v += mapped
            p += mapped
            j += 1

    _CUDA.update(count=count_kernel, emit=emit_kernel)
    return _CUDA


class DeviceArrays:
    """Allocation and prefix sums on the device: CuPy on a GPU, numpy in the simulator."""

    def __init__(self, like_device: bool):
        self.cp = backends.cupy_module() if not backends.cuda_simulated() else None
        self.on_device = like_device and self.cp is not None

    def put(self, a):
        if self.cp is not None:
            return self.cp.asarray(a)
        return np.asarray(a)

    def empty(self, n, dtype):
        return (self.cp.empty if self.cp is not None else np.empty)(n, dtype=dtype)

    def zeros(self, n, dtype):
        return (self.cp.zeros if self.cp is not None else np.zeros)(n, dtype=dtype)

    def exclusive_scan(self, counts):
        xp = self.cp if self.cp is not None else np
        offs = xp.zeros(counts.shape[0] + 1, dtype=np.int64)
        xp.cumsum(counts, out=offs[1:])
        return offs

    def out(self, a):
        """Return to the caller in the kind of array they passed in."""
        if self.on_device:
            return a
        return backends.to_host(a)


def _cuda(iova, paddr, size, pgsize_bitmap: int) -> SplitResult:
    k = _cuda_kernels()
    dev = DeviceArrays(backends.is_device_array(iova))
    iova, paddr, size = dev.put(iova), dev.put(paddr), dev.put(size)
    n = iova.shape[0]
    bitmap = U64(pgsize_bitmap)
    minmask = U64((1 << __ffs(pgsize_bitmap)) - 1)
    counts = dev.zeros(n, np.int64)
    status = dev.zeros(n, np.int32)
    blocks, threads = backends.cuda_launch_shape(n)
    if n:
        k["count"][blocks, threads](bitmap, minmask, iova, paddr, size, counts, status)
    offsets = dev.exclusive_scan(counts)
    total = int(offsets[-1])
    out = (dev.empty(total, np.int64), dev.empty(total, U64), dev.empty(total, U64),
           dev.empty(total, U64), dev.empty(total, U64))
    if n and total:
        k["emit"][blocks, threads](bitmap, iova, paddr, size, offsets, status, *out)
    return SplitResult(*(dev.out(a) for a in out), dev.out(status))


_IMPLS = {"reference": _reference, "numba": _numba, "cuda": _cuda}


def iommu_map_split(iova, paddr, size, pgsize_bitmap: int, backend: str = "auto", workspace=None) -> SplitResult:
    """Split every range into ``(pgsize, count)`` chunks exactly as ``__iommu_map`` would.

    ``iova``, ``paddr``, ``size``: equal-length uint64 arrays (CuPy arrays
    with ``backend="cuda"`` stay on the device).  Returns a
    :class:`SplitResult` whose chunks are grouped by range, in range order.
    ``workspace``: a :class:`backends.Workspace` the numba backend writes into.
    """
    pgsize_bitmap = _check_bitmap(pgsize_bitmap)
    be = backends.resolve(backend)
    iova, paddr, size = _as_u64(iova, "iova"), _as_u64(paddr, "paddr"), _as_u64(size, "size")
    if not (iova.shape == paddr.shape == size.shape):
        raise ValueError("iova, paddr and size must have the same length")
    if be != "cuda" and any(backends.is_device_array(a) for a in (iova, paddr, size)):
        iova, paddr, size = (backends.to_host(a) for a in (iova, paddr, size))
    if be == "numba":
        return _numba(iova, paddr, size, pgsize_bitmap, workspace)
    return _IMPLS[be](iova, paddr, size, pgsize_bitmap)
