"""The VF BAR windows and each VF's LMEM blocks, as arrays, and the typed
record the compiled kernels take.

VF lookup is either SR-IOV arithmetic (window = (addr - base) / per-VF size:
the fast path) or, for any window set, a load from a window granule table
(when the windows' bases and sizes share a granule that keeps the table
small) with the search over sorted windows for the rest.  Block lookup is a
shift when every block has the same power-of-two size, else one load from a
granule table (every block a multiple of a granule, as LMEM's 2 MiB blocks
are), else a binary search over the VF's cumulative block offsets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..getorder import PAGE_SIZE

U64 = np.uint64
GRANULE_TABLE_MAX = 1 << 24  # entries (int32) of the block-lookup table before falling back to search
WINDOW_TABLE_MAX = 1 << 16  # entries (int32) of the window-lookup table before falling back to search


class TopologyRecord(NamedTuple):
    """Everything a compiled kernel reads about the topology, in one argument."""
    use_sriov: bool          # window by SR-IOV arithmetic
    sriov_base: np.uint64
    sriov_size: np.uint64
    sriov_shift: np.int64    # log2 of the per-VF size, -1 when it is no power of two
    sriov_count: np.int64
    wshift: np.int64         # window granule table: log2 granule, -1 when none
    wtab: np.ndarray
    win_base: np.ndarray
    win_size: np.ndarray
    win_vf: np.ndarray
    quota: np.ndarray
    blk_ptr: np.ndarray
    blk_off: np.ndarray
    blk_len: np.ndarray
    blk_dpa: np.ndarray
    bshift: np.int64         # one power-of-two block size: its log2, else 0
    gshift: np.int64         # block granule table: log2 granule, -1 when none
    gptr: np.ndarray
    gtab: np.ndarray
    page: np.uint64
    stream: bool | None      # non-temporal output stores (CPU); None: plain, fixed when compiled (kernels.streaming)


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

    def record(self, lookup: str, put=np.asarray, stream: bool | None = False) -> TopologyRecord:
        """The kernels' view for ``lookup`` (``"sriov"`` or ``"windows"``); ``put``
        moves each array where the kernel runs (the GPU for the cuda backend)."""
        use = lookup == "sriov"
        size = self.sriov_size if use else 1
        shift = (size.bit_length() - 1) if use and size & (size - 1) == 0 else -1
        return TopologyRecord(use, U64(self.sriov_base), U64(size), np.int64(shift),
                              np.int64(self.sriov_count if use else 0), np.int64(self.wshift), put(self.wtab),
                              put(self.win_base), put(self.win_size), put(self.win_vf), put(self.quota),
                              put(self.blk_ptr), put(self.blk_off), put(self.blk_len), put(self.blk_dpa),
                              np.int64(self.block_shift), np.int64(self.gshift), put(self.gptr), put(self.gtab),
                              U64(self.page_size), None if stream is None else bool(stream))

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
