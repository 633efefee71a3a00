"""Seeded inputs for the kernel benchmarks, and the bytes each kernel must move.

Every workload is built once per size with a fixed seed so runs compare.
``bytes_moved`` counts what the kernel must read (its inputs, once) plus
what it must write (its outputs, once); the benchmark divides it by the
kernel's time and by the copy bandwidth to get the roofline ratio.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from dmabuf_lab.kernels.backends import Workspace
from dmabuf_lab.kernels.iommu_map import iommu_map_split, iommu_map_split_python
from dmabuf_lab.kernels.page_table import build_page_table, build_page_table_python
from dmabuf_lab.kernels.translate import TranslateTopology, translate_bar_to_dpa, translate_python
from dmabuf_lab.kernels.translate import reference as translate_reference

from . import speed_of_light as sol

U64 = np.uint64
K, M, G = 1 << 10, 1 << 20, 1 << 30
X86 = 4 * K | 2 * M | 1 * G
VF_BAR_BASE = 0x40_0000_0000  # docs/sources.md: IOV BAR2 base
VF_BAR_SIZE = 4 * G
NUM_VFS = 8
QUOTA = 3 * G + 512 * M


@dataclass
class Case:
    """One kernel configuration: how to build inputs, run a backend, run the Python port."""
    name: str
    description: str
    make: Callable[[int, np.random.Generator], dict]
    run: Callable[[dict, str], object]
    port: Callable[[dict, int], object]       # runs the per-range Python loop on the first m ranges
    bytes_moved: Callable[[dict, object], int]
    outputs: Callable[[object], int]
    bytes_per_range_estimate: int             # for the memory check before a size is attempted
    numpy_same: Callable[[dict], object] | None  # numpy doing the numba kernel's algorithm (None: the reference)
    numpy_same_is: str                        # what that baseline is, in words
    speed_of_light: Callable[[dict], object]  # the loop that only moves the kernel's bytes (speed_of_light.Loop)


def _uniform_topology(rng):
    nb = QUOTA // (2 * M)
    pool = rng.permutation(NUM_VFS * nb).astype(np.int64)
    blocks = [[(int(pool[v * nb + k]) * 2 * M, 2 * M) for k in range(nb)] for v in range(NUM_VFS)]
    return TranslateTopology.sriov(VF_BAR_BASE, VF_BAR_SIZE, blocks)


def _buddy_topology(rng):
    """Each VF's quota as buddy blocks of mixed sizes (2M..512M), shuffled in VRAM."""
    blocks, at = [], 0
    for _ in range(NUM_VFS):
        left, mine = QUOTA, []
        while left:
            size = int(2 * M << rng.integers(0, 9))
            size = min(size, left)
            size = 1 << (size.bit_length() - 1)
            mine.append(size)
            left -= size
        blocks.append(mine)
    flat = [(v, k) for v in range(NUM_VFS) for k in range(len(blocks[v]))]
    order = rng.permutation(len(flat))
    dpa = {}
    for j in order:  # place blocks one after another in shuffled order, 512M-aligned slots
        v, k = flat[j]
        dpa[(v, k)] = at
        at += 512 * M
    lists = [[(dpa[(v, k)], blocks[v][k]) for k in range(len(blocks[v]))] for v in range(NUM_VFS)]
    return TranslateTopology.sriov(VF_BAR_BASE, VF_BAR_SIZE, lists)


def _translate_inputs(n, rng, topo):
    vf = rng.integers(0, NUM_VFS, n).astype(U64)
    pages = rng.integers(1, 17, n).astype(U64)              # 4K .. 64K
    off = (rng.integers(0, (QUOTA - 64 * K) // 4096, n).astype(U64)) << U64(12)
    starts = U64(VF_BAR_BASE) + vf * U64(VF_BAR_SIZE) + off
    return {"starts": starts, "lengths": pages << U64(12), "topo": topo, "n": n}


def _make_translate(kind):
    def make(n, rng):
        topo = _buddy_topology(rng) if kind == "windows" else _uniform_topology(rng)
        return _translate_inputs(n, rng, topo)
    return make


def _ws(d, backend):
    """The numba backend writes into a warm workspace (see backends.Workspace)."""
    return d.setdefault("workspace", Workspace()) if backend == "numba" else None


def _run_translate(mode, lookup):
    def run(d, backend):
        return translate_bar_to_dpa(d["starts"], d["lengths"], d["topo"], mode=mode, lookup=lookup,
                                    backend=backend, workspace=_ws(d, backend))
    return run


def _port_translate(mode):
    def port(d, m):
        return translate_python(d["starts"][:m], d["lengths"][:m], d["topo"], mode)
    return port


def _bytes_translate_correct(d, r):
    return 16 * d["n"] + 8 * d["n"] + 24 * len(r)      # starts+lengths; status+vf; (index, dpa, len)


def _bytes_translate_rfc(d, r):
    # starts+lengths; status+vf; index (8), dpa (8), order (1) -- the length is the input array, not written
    return 16 * d["n"] + 8 * d["n"] + 17 * d["n"]


def _numpy_translate(mode, lookup):
    def run(d):
        return translate_reference.translate(d["starts"], d["lengths"], d["topo"], mode, lookup)
    return run


SAME_TABLES = ("numpy with the kernel's lookups: {} window, {} blocks, then the same count -> repeat -> emit "
               "as the generic reference")
SAME_AS_REFERENCE = "the numpy reference itself: it already runs the kernel's algorithm (iommu_pgsize steps, " \
                    "all ranges one step per round)"


def _make_split(n, rng):
    iova = (rng.integers(0, 1 << 34, n).astype(U64)) << U64(12)
    same = rng.random(n) < 0.5
    paddr = np.where(same, iova, (rng.integers(0, 1 << 34, n).astype(U64)) << U64(12)).astype(U64)
    size = (rng.integers(1, 1024, n).astype(U64)) << U64(12)   # 4K .. 4M
    return {"iova": iova, "paddr": paddr, "size": size, "n": n}


def _make_pt(n, rng):
    size = (rng.integers(1, 9, n).astype(U64)) << U64(12)      # 4K .. 32K
    gap = (rng.integers(0, 4, n).astype(U64)) << U64(12)
    va = np.cumsum(size + gap, dtype=U64) - size
    oa = (rng.integers(0, 1 << 30, n).astype(U64)) << U64(12)
    return {"va": va, "oa": oa, "size": size, "n": n}


CASES = {
    "translate_sriov": Case(
        "translate_sriov", "translate_bar_to_dpa, correct mode, SR-IOV arithmetic lookup, uniform 2M blocks "
        "(fast path); 4K-64K ranges, split at block boundaries",
        _make_translate("sriov"), _run_translate("correct", "sriov"), _port_translate("correct"),
        _bytes_translate_correct, len, 120, _numpy_translate("correct", "sriov"),
        SAME_TABLES.format("SR-IOV arithmetic", "shift-indexed 2M"), sol.for_translate),
    "translate_windows": Case(
        "translate_windows", "translate_bar_to_dpa, correct mode, binary search over sorted windows, "
        "buddy blocks 2M-512M found by binary search, split at block boundaries",
        _make_translate("windows"), _run_translate("correct", "windows"), _port_translate("correct"),
        _bytes_translate_correct, len, 120, _numpy_translate("correct", "windows"),
        SAME_TABLES.format("granule-table", "granule-table"), sol.for_translate),
    "translate_rfc": Case(
        "translate_rfc", "translate_bar_to_dpa, RFC mode (start only, last page excluded, get_order), SR-IOV lookup",
        _make_translate("sriov"), _run_translate("rfc", "sriov"), _port_translate("rfc"),
        _bytes_translate_rfc, len, 120, _numpy_translate("rfc", "sriov"),
        SAME_TABLES.format("SR-IOV arithmetic", "shift-indexed 2M"), sol.for_rfc),
    "iommu_map_split": Case(
        "iommu_map_split", "__iommu_map loop, x86 bitmap 4K|2M|1G, 4K-4M ranges, half with iova == paddr",
        _make_split, lambda d, be: iommu_map_split(d["iova"], d["paddr"], d["size"], X86, backend=be, workspace=_ws(d, be)),
        lambda d, m: iommu_map_split_python(d["iova"][:m], d["paddr"][:m], d["size"][:m], X86),
        lambda d, r: 24 * d["n"] + 4 * d["n"] + 40 * len(r), len, 200,
        None, SAME_AS_REFERENCE, sol.for_split),
    "page_table_summary": Case(
        "page_table_summary", "build_page_table x86-64 4-level, summary only (leaf counts, table pages)",
        _make_pt, lambda d, be: build_page_table((d["va"], d["oa"], d["size"]), "x86-64-4level", backend=be,
                                                 workspace=_ws(d, be)),
        lambda d, m: build_page_table_python((d["va"][:m], d["oa"][:m], d["size"][:m]), "x86-64-4level"),
        lambda d, r: 24 * d["n"] + 4 * d["n"], lambda r: r.total_leaf_entries, 160,
        None, SAME_AS_REFERENCE, sol.for_pt_summary),
    "page_table_emit": Case(
        "page_table_emit", "build_page_table x86-64 4-level with materialize=True: every leaf entry "
        "(VA, entry bits, level) written out",
        _make_pt, lambda d, be: build_page_table((d["va"], d["oa"], d["size"]), "x86-64-4level", backend=be,
                                                 materialize=True, workspace=_ws(d, be)),
        lambda d, m: build_page_table_python((d["va"][:m], d["oa"][:m], d["size"][:m]), "x86-64-4level",
                                             materialize=True),
        lambda d, r: 24 * d["n"] + 4 * d["n"] + 17 * r.total_leaf_entries, lambda r: r.total_leaf_entries, 300,
        None, SAME_AS_REFERENCE, sol.for_pt_emit),
}
