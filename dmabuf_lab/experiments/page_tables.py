"""Page-size choice and page-table memory for realistic buffers, as frames.

The bulk builder ``dmabuf_lab.kernels.page_table.build_page_table`` cuts
each range into leaves as the kernel's map loops do and counts leaf entries
and table pages per format.  This module picks the buffers and the
questions:

* :func:`buffers` -- a VF's LMEM quota as the xe preset provisions it, the
  same quota scattered in 2 MiB blocks, a 4 GiB slice of a VF BAR, and the
  generic_pt ``test_mixed`` range from docs/sources.md;
* :func:`table_memory` / :func:`leaf_sizes` -- per buffer and format;
* :func:`rfc_vs_correct` -- the RFC's ``get_order``-rounded segments fed to a
  page table next to the exact ones;
* :func:`iommu_pgsize_steps`, :func:`ib_umem_example` -- the page-size
  helpers on the worked examples;
* :func:`build_scaling` -- build time against the number of ranges.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from dmabuf_lab.kernels import backends
from dmabuf_lab.kernels.getorder import PAGE_SIZE, get_order_bulk
from dmabuf_lab.kernels.ib_umem import ib_umem_find_best_pgsz
from dmabuf_lab.kernels.iommu_pgsize import iommu_map_steps
from dmabuf_lab.kernels.page_table import build_page_table
from dmabuf_lab.kernels.pt_formats import get_format
from dmabuf_lab.kernels.translate import TranslateTopology

from .rfc_vs_correct import compare_translations
from .translation import best_time, load_average

U64 = np.uint64
K, M, G = 1 << 10, 1 << 20, 1 << 30
X86_BITMAP = 4 * K | 2 * M | 1 * G
VA_BASE = 1 << 40            # where the importer maps a buffer: 1 GiB-aligned, inside 48-bit VA
TEST_MIXED = (0x3FE400000, 0x3FE400000, 0xC2200000)   # generic_pt KUnit test_mixed (docs/sources.md)
# docs/sources.md' ib_umem example: 16 GiB, physically contiguous, entries of 4 GiB - 4 KiB and one 16 KiB tail
UMEM_DMA_START = 0x344_0140_0000
UMEM_LENGTHS = (0xFFFFF000,) * 4 + (0x4000,)
UMEM_BITMAP = sum(1 << s for s in range(12, 40))       # 4K ... 512G


def size_name(n: int) -> str:
    """4096 -> '4K', 2 MiB -> '2M', 1 GiB -> '1G'."""
    for unit, suffix in ((G, "G"), (M, "M"), (K, "K")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)


def _ranges(va, oa, size):
    return (np.asarray(va, dtype=U64), np.asarray(oa, dtype=U64), np.asarray(size, dtype=U64))


def contiguous_va(oa, size, va_base: int = VA_BASE):
    """Ranges placed back to back in VA from ``va_base`` (how an importer maps one buffer)."""
    size = np.asarray(size, dtype=U64)
    va = U64(va_base) + np.cumsum(size, dtype=U64) - size
    return _ranges(va, oa, size)


def buffers(topo: TranslateTopology, vf: int = 1, seed: int = 0) -> dict:
    """Named buffers as ``(va, oa, size)`` arrays.

    * ``VF LMEM (preset)``: VF ``vf``'s LMEM object, block by block, mapped at
      one VA span -- what the PF binds when it imports the whole quota;
    * ``VF LMEM, 2M blocks``: the same quota as scattered 2 MiB blocks;
    * ``4 GiB VF BAR slice``: VF ``vf``'s whole LMEM BAR window, one range,
      as an IOMMU importer maps it for P2P;
    * ``test_mixed``: iova = paddr = 0x3fe400000, 0xC2200000 bytes.
    """
    lo, hi = int(topo.blk_ptr[vf]), int(topo.blk_ptr[vf + 1])
    out = {"VF LMEM (preset)": contiguous_va(topo.blk_dpa[lo:hi], topo.blk_len[lo:hi])}
    quota = int(topo.quota[vf])
    nblk = quota // (2 * M)
    rng = np.random.default_rng(seed)
    slots = rng.choice(4 * nblk, size=nblk, replace=False).astype(U64)  # VRAM 4x the quota, 2M slots
    out["VF LMEM, 2M blocks"] = contiguous_va(slots * U64(2 * M), np.full(nblk, 2 * M, dtype=U64))
    w = np.nonzero(topo.win_vf == vf)[0][0]
    out["4 GiB VF BAR slice"] = _ranges([VA_BASE], [int(topo.win_base[w])], [int(topo.win_size[w])])
    out["test_mixed"] = _ranges(*([x] for x in TEST_MIXED))
    return out


PT_FORMATS = ("x86-64-4level", "x86-64-5level", "vtd-ss-48", "amd-v1", "arm-lpae-4k", "xe-ppgtt")


def table_memory(bufs: dict, formats=PT_FORMATS, backend: str = "auto") -> pl.DataFrame:
    """One row per buffer and format: bytes mapped, leaf entries, table pages and bytes."""
    rows = []
    for name, rg in bufs.items():
        mapped = int(rg[2].sum(dtype=U64))
        for f in formats:
            s = build_page_table(rg, f, backend=backend)
            leaves = " ".join(f"{size_name(p)}x{c}" for p, c in sorted(s.leaf_pages.items()))
            rows.append({"buffer": name, "format": f, "ranges": int(rg[0].size), "bytes_mapped": mapped,
                         "leaf_entries": s.total_leaf_entries, "table_pages": int(sum(s.table_pages)),
                         "table_bytes": s.table_bytes, "table_bytes_per_gib": s.table_bytes * G / mapped,
                         "leaves": leaves, "failed": int(np.count_nonzero(s.status))})
    return pl.DataFrame(rows)


def leaf_sizes(bufs: dict, formats=PT_FORMATS, backend: str = "auto") -> pl.DataFrame:
    """Long form: buffer, format, page size and how many leaves (pages) of it, and the bytes they map."""
    rows = []
    for name, rg in bufs.items():
        for f in formats:
            s = build_page_table(rg, f, backend=backend)
            for p, c in sorted(s.leaf_pages.items()):
                rows.append({"buffer": name, "format": f, "page": size_name(p), "page_bytes": int(p),
                             "pages": int(c), "bytes": int(p) * int(c)})
    return pl.DataFrame(rows)


# ---------------------------------------------------------------- RFC order vs correct
def _pages(va, oa, size, page: int = PAGE_SIZE):
    """Every 4 KiB page of the ranges: (va, oa) arrays."""
    n = (size // U64(page)).astype(np.int64)
    idx = np.repeat(np.arange(size.size), n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = (np.arange(idx.size) - first).astype(U64) * U64(page)
    return va[idx] + k, oa[idx] + k


def owner_vf(topo: TranslateTopology, dpa) -> np.ndarray:
    """VF index whose LMEM block holds each DPA, -1 for VRAM no VF owns."""
    vf_of_blk = np.repeat(np.arange(topo.num_vfs), np.diff(topo.blk_ptr))
    order = np.argsort(topo.blk_dpa, kind="stable")
    lo, ln, who = topo.blk_dpa[order], topo.blk_len[order], vf_of_blk[order]
    k = np.searchsorted(lo, dpa, side="right") - 1
    kc = np.clip(k, 0, max(lo.size - 1, 0))
    inside = (k >= 0) & (dpa < lo[kc] + ln[kc]) if lo.size else np.zeros(dpa.shape, dtype=bool)
    return np.where(inside, who[kc] if lo.size else -1, -1)


def rfc_vs_correct(starts, lengths, topo: TranslateTopology, fmt: str = "xe-ppgtt", backend: str = "auto",
                   va_base: int = VA_BASE) -> dict:
    """Feed a page table the RFC's segments and the exact ones; count what differs.

    Only ranges both behaviours translate are used, so the buffer is the
    same.  The importer lays segments out back to back in VA: the RFC's
    segment ``i`` spans ``PAGE_SIZE << order`` bytes at the RFC's DPA, the
    exact segments span their real length at their real DPA.  Returns a dict
    of frames: ``summary`` (one row per behaviour: leaf entries, table bytes,
    bytes mapped) and ``pages`` (one row: 4 KiB pages the RFC table maps
    outside the buffer and how many of those hold another VF's LMEM, buffer
    pages it never maps, and pages of the buffer's VA span whose DPA
    differs).
    """
    starts = np.asarray(starts, dtype=U64)
    lengths = np.asarray(lengths, dtype=U64)
    d = compare_translations(starts, lengths, topo, backend=backend)
    both = (d.rfc.status == 0) & (d.correct.status == 0)
    keep = np.nonzero(both)[0]
    claims = U64(PAGE_SIZE) << get_order_bulk(lengths[keep]).astype(U64)
    rfc_rg = contiguous_va(d.rfc.dpa[keep], claims, va_base)
    seg = np.isin(d.correct.range_index, keep)
    cor_rg = contiguous_va(d.correct.dpa[seg], d.correct.length[seg], va_base)
    rows = []
    for label, rg in (("RFC (get_order segments)", rfc_rg), ("exact segments", cor_rg)):
        s = build_page_table(rg, fmt, backend=backend)
        rows.append({"behaviour": label, "ranges": int(keep.size), "segments": int(rg[0].size),
                     "bytes_mapped": int(rg[2].sum(dtype=U64)), "leaf_entries": s.total_leaf_entries,
                     "table_bytes": s.table_bytes,
                     "leaves": " ".join(f"{size_name(p)}x{c}" for p, c in sorted(s.leaf_pages.items()))})
    r_va, r_oa = _pages(*rfc_rg)
    c_va, c_oa = _pages(*cor_rg)
    outside = int(np.count_nonzero(~np.isin(r_oa, c_oa)))
    unmapped = int(np.count_nonzero(~np.isin(c_oa, r_oa)))
    owner_r, owner_c = owner_vf(topo, r_oa), owner_vf(topo, c_oa)
    mine = np.unique(owner_c)
    foreign = int(np.count_nonzero(~np.isin(r_oa, c_oa) & (owner_r >= 0) & ~np.isin(owner_r, mine)))
    n = c_va.size  # the buffer's VA span: the first n pages of each layout
    shifted = int(np.count_nonzero(r_oa[:n] != c_oa[:n])) if r_oa.size >= n else n
    pages = pl.DataFrame([{"ranges": int(keep.size), "buffer_pages": int(n), "rfc_pages": int(r_va.size),
                           "extra_pages": int(r_va.size - n), "pages_outside_buffer": outside,
                           "pages_in_other_vfs_lmem": foreign, "buffer_pages_unmapped": unmapped, "wrong_pages_in_buffer_va": shifted}])
    return {"summary": pl.DataFrame(rows), "pages": pages}


# ---------------------------------------------------------------- page-size helpers
def iommu_pgsize_steps(iova: int = TEST_MIXED[0], paddr: int = TEST_MIXED[1], size: int = TEST_MIXED[2],
                       bitmap: int = X86_BITMAP) -> pl.DataFrame:
    """The ``__iommu_map`` loop over one range: one row per ``iommu_pgsize()`` step."""
    steps = iommu_map_steps(bitmap, iova, paddr, size)
    if isinstance(steps, int):
        raise ValueError(f"iommu_map_steps failed with {steps}")
    return pl.DataFrame([{"step": i, "iova": f"{v:#x}", "pgsize": size_name(p), "count": c,
                          "bytes": p * c} for i, (v, _, p, c) in enumerate(steps)])


def pgsize_agreement(fmt: str = "x86-64-4level", rg=None, backend: str = "auto") -> pl.DataFrame:
    """Leaves per page size from ``iommu_pgsize`` steps and from the page-table builder
    (which walks with generic_pt's ``pt_compute_best_pgsize``), on the same range."""
    rg = rg or TEST_MIXED
    f = get_format(fmt)
    steps = iommu_map_steps(f.pgsize_bitmap, *rg)
    by_iommu = {}
    for _, _, p, c in steps:
        by_iommu[p] = by_iommu.get(p, 0) + c
    s = build_page_table(_ranges(*([x] for x in rg)), fmt, backend=backend)
    rows = []
    for p in sorted(set(by_iommu) | set(s.leaf_pages)):
        rows.append({"pgsize": size_name(p), "iommu_pgsize": by_iommu.get(p, 0),
                     "build_page_table": int(s.leaf_pages.get(p, 0))})
    return pl.DataFrame(rows)


def ib_umem_example(variants=("fixed", "pre-fix")) -> pl.DataFrame:
    """``ib_umem_find_best_pgsz`` on docs/sources.md' 16 GiB list, per variant:
    the page size and what it costs the NIC (entries and 8-byte table bytes)."""
    lengths = list(UMEM_LENGTHS)
    dma = [UMEM_DMA_START + sum(lengths[:i]) for i in range(len(lengths))]
    total = sum(lengths)
    rows = []
    for v in variants:
        pg = ib_umem_find_best_pgsz(dma, lengths, 0, 0, UMEM_BITMAP, variant=v)
        rows.append({"variant": v, "sg_entries": len(lengths), "bytes": total, "page_size": pg,
                     "page": size_name(pg) if pg else "none",
                     "mtt_entries": total // pg if pg else None,
                     "mtt_bytes": 8 * (total // pg) if pg else None})
    return pl.DataFrame(rows)


# ---------------------------------------------------------------- scaling
def scaling_ranges(n: int, seed: int = 0):
    """``n`` sorted, non-overlapping ranges of 4..32 KiB with 0..12 KiB gaps (the benchmark's shape)."""
    rng = np.random.default_rng(seed)
    size = (rng.integers(1, 9, n).astype(U64)) << U64(12)
    gap = (rng.integers(0, 4, n).astype(U64)) << U64(12)
    va = np.cumsum(size + gap, dtype=U64) - size
    oa = (rng.integers(0, 1 << 30, n).astype(U64)) << U64(12)
    return va, oa, size


def build_scaling(sizes, formats=("x86-64-4level", "xe-ppgtt"), backend_list=("reference", "numba"),
                  materialize: bool = False, seed: int = 0, min_time: float = 0.2) -> pl.DataFrame:
    """Build time per format, backend and number of ranges, measured now.

    ``ns_per_range`` and ``vs_reference`` (reference time / this time) are
    ratios the notebook can compare across machines; seconds are kept too.  Each
    time is the best of repeated calls over at least ``min_time`` seconds.
    """
    rows = []
    for n in sizes:
        rg = scaling_ranges(int(n), seed)
        for f in formats:
            ref_t = None
            for be in backend_list:
                ws = backends.Workspace() if be == "numba" else None

                def run():
                    if ws is not None:
                        return build_page_table(rg, f, backend=be, materialize=materialize, workspace=ws)
                    return build_page_table(rg, f, backend=be, materialize=materialize)
                s = run()
                secs = best_time(run, min_total=min_time)
                if be == "reference":
                    ref_t = secs
                rows.append({"format": f, "backend": be, "ranges": int(n), "seconds": secs,
                             "ns_per_range": 1e9 * secs / int(n), "leaf_entries": s.total_leaf_entries,
                             "vs_reference": (ref_t / secs) if ref_t else None, "loadavg_1m": load_average()})
    frame = pl.DataFrame(rows, schema_overrides={"vs_reference": pl.Float64, "loadavg_1m": pl.Float64})
    # normalise to each series' smallest size: 1.0 everywhere means time grows exactly with n
    return frame.with_columns(
        per_range_vs_smallest=pl.col("ns_per_range") / pl.col("ns_per_range").first().over(
            ["format", "backend"], order_by="ranges"))
