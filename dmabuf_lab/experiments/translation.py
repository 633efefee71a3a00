"""VF BAR -> VRAM DPA translation on the xe SR-IOV preset, as frames.

The xe PF imports a buffer that vfio-pci exports from a VF's LMEM BAR and
needs the VRAM device physical address (DPA) of every byte.  The bulk kernel
``dmabuf_lab.kernels.translate`` runs the RFC's behaviour (start-only
translation, last BAR page excluded, ``get_order`` rounding) and the correct
one side by side; this module asks it the notebook's questions:

* :func:`disagreement_sweep` -- on random range sets of growing size, how
  many ranges the two behaviours disagree on, for which reason, and how many
  bytes are over-claimed or placed at the wrong DPA;
* :func:`hand_picked` -- the cases a reviewer would try by hand;
* :func:`throughput` / :func:`growth` -- time per backend against a plain
  copy of the same bytes and against the numpy reference, measured when
  called, and how it grows with the number of ranges;
* :func:`bench_results` -- the committed ``dmabuf-lab bench`` results.

Besides the preset's LMEM layout there are two what-ifs with the same BAR
windows: :func:`two_mib_variant` (each quota as scattered 2 MiB blocks) and
:func:`whole_bar_variant` (LMEM behind every page of each VF BAR).
"""
from __future__ import annotations

import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from dmabuf_lab.kernels import backends
from dmabuf_lab.kernels.getorder import PAGE_SIZE, get_order_bulk
from dmabuf_lab.kernels.translate import TranslateTopology, translate_bar_to_dpa
from dmabuf_lab.kmodel import errname

from .rfc_vs_correct import REASON_NAMES, compare_translations
from .translate_topology import from_topology

PRESET = "xe-sriov-8vf"
PF = "0000:03:00.0"
LMEM_BAR = 2
U64 = np.uint64
GiB = 1 << 30
REASONS = list(REASON_NAMES.values())


def xe_topology(preset: str = PRESET, pf: str = PF) -> TranslateTopology:
    """The PF's VF LMEM BAR windows and each VF's LMEM blocks, from the preset."""
    from dmabuf_lab.hw import load_topology
    return from_topology(load_topology(preset), pf, LMEM_BAR)


def vf_blocks(topo: TranslateTopology, vf: int) -> pl.DataFrame:
    """VF ``vf``'s LMEM object: block order, offset in the object, DPA and length."""
    lo, hi = int(topo.blk_ptr[vf]), int(topo.blk_ptr[vf + 1])
    return pl.DataFrame({"vf_index": [vf] * (hi - lo), "block": list(range(hi - lo)),
                         "object_offset": topo.blk_off[lo:hi].tolist(), "dpa": topo.blk_dpa[lo:hi].tolist(),
                         "bytes": topo.blk_len[lo:hi].tolist()},
                        schema={"vf_index": pl.Int64, "block": pl.Int64, "object_offset": pl.UInt64,
                                "dpa": pl.UInt64, "bytes": pl.UInt64})


def whole_bar_variant(topo: TranslateTopology) -> TranslateTopology:
    """The same windows, each VF provisioned with LMEM for its whole BAR.

    Each VF keeps its blocks and gets one more block (placed above every
    real DPA) for the rest of its window, so the last BAR page is backed by
    VRAM.  A what-if: on the preset the quota is smaller than the BAR.
    """
    top = int((topo.blk_dpa + topo.blk_len).max()) if topo.blk_dpa.size else 0
    top = (top + GiB - 1) & ~(GiB - 1)
    blocks = []
    for v in range(topo.num_vfs):
        lo, hi = int(topo.blk_ptr[v]), int(topo.blk_ptr[v + 1])
        mine = list(zip(topo.blk_dpa[lo:hi].tolist(), topo.blk_len[lo:hi].tolist()))
        rest = int(topo.win_size[v]) - int(topo.quota[v])
        if rest > 0:
            mine.append((top, rest))
            top += (rest + GiB - 1) & ~(GiB - 1)
        blocks.append(mine)
    return TranslateTopology.sriov(int(topo.win_base[0]), int(topo.win_size[0]), blocks, topo.page_size)


def two_mib_variant(topo: TranslateTopology, seed: int = 0) -> TranslateTopology:
    """The same windows and quotas, each quota cut into 2 MiB blocks scattered over VRAM.

    The worst fragmentation the PF's 2 MiB rounding allows: every block
    boundary is a discontinuity.  Equal power-of-two blocks also let the
    translator index blocks by a shift (its fast path).
    """
    sz = 2 << 20
    counts = [int(q) // sz for q in topo.quota]
    slots = np.random.default_rng(seed).permutation(sum(counts)).astype(np.int64)
    blocks, at = [], 0
    for c in counts:
        blocks.append([(int(slots[at + k]) * sz, sz) for k in range(c)])
        at += c
    return TranslateTopology.sriov(int(topo.win_base[0]), int(topo.win_size[0]), blocks, topo.page_size)


def random_ranges(n: int, topo: TranslateTopology, seed: int = 0, max_pages: int = 4096, vf: int | None = None):
    """``n`` page-aligned BAR ranges: a random VF (or VF index ``vf``), a start
    inside its LMEM quota, a length of 1..``max_pages`` pages drawn
    log-uniformly (so small buffers and multi-MiB ones both appear).  Ranges
    near the end of the quota may run past it."""
    rng = np.random.default_rng(seed)
    vf = rng.integers(0, topo.num_vfs, n) if vf is None else np.full(n, int(vf), dtype=np.int64)
    pages = np.floor(np.exp(rng.uniform(0.0, math.log(max_pages + 1), n))).astype(np.int64)
    pages = np.clip(pages, 1, max_pages).astype(U64)
    quota_pages = (topo.quota[vf] // U64(topo.page_size)).astype(np.int64)
    off = (rng.integers(0, np.maximum(quota_pages, 1)).astype(U64)) * U64(topo.page_size)
    base = topo.win_base[np.searchsorted(topo.win_vf, vf)] if topo.sriov_count else \
        np.array([topo.win_base[np.nonzero(topo.win_vf == v)[0][0]] for v in vf], dtype=U64)
    return (base + off).astype(U64), pages * U64(topo.page_size)


def buffer_ranges(n: int, topo: TranslateTopology, vf: int = 1, seed: int = 0, max_pages: int = 64):
    """One exported buffer: ``n`` disjoint, ascending page-aligned ranges of VF ``vf``'s BAR,
    all inside its LMEM quota, 1..``max_pages`` pages each (log-uniform), random gaps.

    Raises ValueError when the ranges cannot fit in the quota.
    """
    rng = np.random.default_rng(seed)
    page = topo.page_size
    pages = np.clip(np.floor(np.exp(rng.uniform(0.0, math.log(max_pages + 1), n))), 1, max_pages).astype(np.int64)
    free = int(topo.quota[vf]) // page - int(pages.sum())
    if free < 0:
        raise ValueError(f"{n} ranges of up to {max_pages} pages do not fit in VF {vf}'s quota")
    w = rng.random(n)
    gaps = np.floor(w / w.sum() * free).astype(np.int64) if n else w.astype(np.int64)
    off = np.cumsum(gaps + pages) - pages
    base = int(topo.win_base[np.nonzero(topo.win_vf == vf)[0][0]])
    return (U64(base) + off.astype(U64) * U64(page)).astype(U64), pages.astype(U64) * U64(page)


def _misplaced_bytes(d) -> int:
    """Bytes of ranges the RFC translated whose correct DPA differs from start + offset."""
    cor, rfc = d.correct, d.rfc
    if not len(cor):
        return 0
    ri = cor.range_index
    first = np.ones(ri.size, dtype=bool)
    first[1:] = ri[1:] != ri[:-1]
    seg_start = np.cumsum(cor.length, dtype=U64) - cor.length
    head = np.maximum.accumulate(np.where(first, np.arange(ri.size), 0))
    rel = seg_start - seg_start[head]
    wrong = (rfc.status[ri] == 0) & (cor.dpa != rfc.dpa[ri] + rel)
    return int(cor.length[wrong].sum(dtype=U64))


def disagreement(starts, lengths, topo: TranslateTopology, backend: str = "auto") -> dict:
    """One row: how many ranges disagree (any reason and per reason) and the bytes involved.

    ``claimed_extra_bytes``: what ``PAGE_SIZE << get_order(len)`` claims beyond
    the range, summed over ranges the RFC translated.  ``misplaced_bytes``:
    bytes the RFC's single segment puts at the wrong DPA (the tail of a range
    that crosses into another block).
    """
    starts = np.asarray(starts, dtype=U64)
    lengths = np.asarray(lengths, dtype=U64)
    d = compare_translations(starts, lengths, topo, backend=backend)
    rfc_ok = d.rfc.status == 0
    claims = U64(PAGE_SIZE) << get_order_bulk(lengths).astype(U64)
    row = {"ranges": int(starts.size), "disagree": int(np.count_nonzero(d.reasons)),
           "rfc_translated": int(np.count_nonzero(rfc_ok)),
           "correct_translated": int(np.count_nonzero(d.correct.status == 0)),
           "correct_segments": len(d.correct)}
    row.update(d.counts())
    row["range_bytes"] = int(lengths[rfc_ok].sum(dtype=U64))
    row["claimed_extra_bytes"] = int((claims - lengths)[rfc_ok].sum(dtype=U64))
    row["misplaced_bytes"] = _misplaced_bytes(d)
    return row


def disagreement_sweep(sizes, topo: TranslateTopology | None = None, seed: int = 0, max_pages: int = 4096,
                       backend: str = "auto") -> pl.DataFrame:
    """:func:`disagreement` for random range sets of each size (one row per size)."""
    topo = topo or xe_topology()
    rows = []
    for n in sizes:
        s, ln = random_ranges(int(n), topo, seed, max_pages)
        rows.append(disagreement(s, ln, topo, backend))
    return pl.DataFrame(rows)


def reasons_long(frame: pl.DataFrame) -> pl.DataFrame:
    """Per size and reason: ranges and their share of the set (a range may have several reasons)."""
    return (frame.select("ranges", *REASONS)
            .unpivot(index="ranges", variable_name="reason", value_name="count")
            .with_columns(share=pl.col("count") / pl.col("ranges")))


# ---------------------------------------------------------------- hand-picked
def hand_picked_cases(topo: TranslateTopology, vf: int = 1) -> list[tuple]:
    """(case, topology label, BAR address, length) for the cases a reviewer tries by hand.

    Every address is derived from the topology: VF ``vf``'s window, its
    quota and the object offset where its second block starts.
    """
    w = int(topo.win_base[np.nonzero(topo.win_vf == vf)[0][0]])
    size = int(topo.win_size[np.nonzero(topo.win_vf == vf)[0][0]])
    lo = int(topo.blk_ptr[vf])
    boundary = int(topo.blk_off[lo + 1]) if topo.blk_ptr[vf + 1] - lo > 1 else int(topo.blk_len[lo])
    quota = int(topo.quota[vf])
    p = topo.page_size
    return [
        ("4 KiB at the start of the BAR", "preset", w, p),
        ("12 KiB range", "preset", w + 16 * p, 3 * p),
        ("2 MiB + 4 KiB range", "preset", w + (2 << 20), (2 << 20) + p),
        ("16 KiB across a block boundary", "preset", w + boundary - 2 * p, 4 * p),
        ("16 KiB past the end of the quota", "preset", w + quota - 2 * p, 4 * p),
        ("last page of the BAR", "preset", w + size - p, p),
        ("last page, LMEM fills the BAR", "whole-BAR what-if", w + size - p, p),
    ]


def hand_picked(topo: TranslateTopology | None = None, vf: int = 1, backend: str = "reference") -> pl.DataFrame:
    """Both behaviours on :func:`hand_picked_cases`, one row per case."""
    topo = topo or xe_topology()
    variants = {"preset": topo, "whole-BAR what-if": whole_bar_variant(topo)}
    rows = []
    for case, label, addr, length in hand_picked_cases(topo, vf):
        t = variants[label]
        s = np.array([addr], dtype=U64)
        ln = np.array([length], dtype=U64)
        d = compare_translations(s, ln, t, backend=backend)
        rfc, cor = d.rfc, d.correct
        st = int(rfc.status[0])
        segs = [(int(a), int(b)) for a, b in zip(cor.dpa, cor.length)]
        order = int(get_order_bulk(ln)[0])
        rows.append({
            "case": case, "topology": label, "bar_address": f"{addr:#x}", "bytes": length,
            "rfc": "ok" if st == 0 else errname(st),
            "rfc_dpa": f"{int(rfc.dpa[0]):#x}" if st == 0 else "-",
            "rfc_claims": (PAGE_SIZE << order) if st == 0 else 0,
            "correct": "ok" if int(cor.status[0]) == 0 else errname(int(cor.status[0])),
            "correct_dpa": " + ".join(f"{a:#x}/{b >> 10}K" for a, b in segs) or "-",
            "segments": len(segs),
            "reasons": ", ".join(d.explain(0)) or "agree",
        })
    return pl.DataFrame(rows)


# ---------------------------------------------------------------- throughput
def best_time(fn, min_total: float = 0.2, min_repeats: int = 3, max_repeats: int = 50) -> float:
    """Best wall time of ``fn()``: at least ``min_repeats`` calls, more until ``min_total``
    seconds have passed (at most ``max_repeats``).  The minimum filters out calls
    slowed down by other work on a shared machine."""
    times = []
    t_start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= max_repeats or (len(times) >= min_repeats and time.perf_counter() - t_start >= min_total):
            return min(times)


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none): how busy the machine was."""
    try:
        return float(os.getloadavg()[0])
    except (OSError, AttributeError):
        return None


def copy_seconds(nbytes: int, min_time: float = 0.1) -> float:
    """Best time of ``np.copyto`` moving ``nbytes`` (read + write: an array of nbytes/2)."""
    n = max(1, int(nbytes) // 16)
    src = np.ones(n, dtype=U64)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    return best_time(lambda: np.copyto(dst, src), min_total=min_time)


def bytes_moved(mode: str, n: int, outputs: int) -> int:
    """Bytes the kernel must read and write, counted as ``dmabuf-lab bench`` does:
    starts + lengths in (16 B), status + VF out (8 B), then 24 B per output
    segment (index, DPA, length) or per range in RFC mode (index, DPA, order)."""
    return 24 * n + 24 * (outputs if mode == "correct" else n)


VARIANTS = {  # label -> (mode, lookup, LMEM layout)
    "correct, SR-IOV lookup": ("correct", "sriov", "preset"),
    "correct, window search": ("correct", "windows", "preset"),
    "correct, 2 MiB blocks": ("correct", "sriov", "2M"),
    "RFC": ("rfc", "sriov", "preset"),
}


def gpu_status() -> tuple[bool, str]:
    """(usable, reason) for the cuda backend on this machine."""
    return backends.gpu_usable()


def throughput(sizes, topo: TranslateTopology | None = None, backend_list=("reference", "numba"),
               variants=tuple(VARIANTS), seed: int = 1, max_pages: int = 16, min_time: float = 0.2) -> pl.DataFrame:
    """Time each backend and variant on random ranges, measured now.

    Rows: backend, variant, ranges, seconds, ns_per_range, bytes_moved,
    ``roofline_ratio`` (time of a numpy copy of the same bytes / kernel time),
    ``vs_reference`` (reference time / this time; 1.0 for the reference) and
    the load average right after the timing.
    Ranges are 1..``max_pages`` pages, as the benchmark's.  The numba backend
    writes into a warm workspace, like the copy into a warm destination.
    Each time is the best of repeated calls over at least ``min_time`` seconds.
    """
    topo = topo or xe_topology()
    layouts = {"preset": topo, "2M": two_mib_variant(topo, seed)}
    rows = []
    copies = {}  # bytes moved -> copy time: both backends move the same bytes
    for n in sizes:
        s, ln = random_ranges(int(n), topo, seed, max_pages)
        for label in variants:
            mode, lookup, layout = VARIANTS[label]
            tt = layouts[layout]
            ref_t = None
            for be in backend_list:
                ws = backends.Workspace() if be == "numba" else None

                def run():
                    if be == "numba":
                        return translate_bar_to_dpa(s, ln, tt, mode=mode, lookup=lookup, backend=be, workspace=ws)
                    return translate_bar_to_dpa(s, ln, tt, mode=mode, lookup=lookup, backend=be)
                out = run()  # warm-up (JIT, workspace)
                t = best_time(run, min_total=min_time)
                nb = bytes_moved(mode, int(n), len(out))
                tc = copies[nb] if nb in copies else copies.setdefault(nb, copy_seconds(nb, min_time / 2))
                if be == "reference":
                    ref_t = t
                rows.append({"backend": be, "variant": label, "ranges": int(n), "seconds": t,
                             "ns_per_range": 1e9 * t / int(n), "bytes_moved": nb, "copy_seconds": tc,
                             "roofline_ratio": tc / t, "vs_reference": (ref_t / t) if ref_t else None,
                             "loadavg_1m": load_average()})
    return pl.DataFrame(rows, schema_overrides={"vs_reference": pl.Float64, "loadavg_1m": pl.Float64})


def growth(frame: pl.DataFrame, by=("backend", "variant"), x: str = "ranges", y: str = "seconds",
           min_x: int = 10_000) -> pl.DataFrame:
    """Log-log slope of ``y`` against ``x`` per group (1.0 = linear), fitted where x >= ``min_x``
    (all points when fewer than two qualify), and the ns per range at the largest size over the
    smallest fitted one."""
    rows = []
    for key, g in frame.sort(x).group_by(list(by), maintain_order=True):
        fit = g.filter(pl.col(x) >= min_x)
        if fit.height < 2:
            fit = g
        slope = None
        if fit.height >= 2:
            slope = float(np.polyfit(np.log10(fit[x].to_numpy().astype(float)),
                                     np.log10(fit[y].to_numpy().astype(float)), 1)[0])
        per = (fit[y] / fit[x]).to_list()
        rows.append({**dict(zip(by, key)), "sizes": fit.height, "from": int(fit[x][0]), "to": int(fit[x][-1]),
                     "loglog_slope": slope, "per_range_ratio": per[-1] / per[0] if per else None})
    return pl.DataFrame(rows)


# ---------------------------------------------------------------- committed bench
def bench_results(directory: str | Path | None = None) -> pl.DataFrame:
    """Rows of every ``data/bench/*.json`` written by ``dmabuf-lab bench`` (empty frame if none).

    Each row says which machine and device it came from and whether the run
    was ``--quick``.  A file that is not a bench result is left out with a
    warning naming it.
    """
    from dmabuf_lab.paths import data_dir
    d = Path(directory) if directory else data_dir() / "bench"
    schema = {"file": pl.Utf8, "machine": pl.Utf8, "device": pl.Utf8, "quick": pl.Boolean, "created": pl.Utf8,
              "kernel": pl.Utf8, "backend": pl.Utf8, "ranges": pl.Int64, "ns_per_range": pl.Float64,
              "roofline_ratio": pl.Float64, "speed_of_light_ratio": pl.Float64, "vs_numpy_same": pl.Float64,
              "vs_reference": pl.Float64, "vs_python_port": pl.Float64}
    rows = []
    for path in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            warnings.warn(f"{path}: not readable as JSON ({exc}); left out of the bench results", stacklevel=2)
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            warnings.warn(f"{path}: expected an object with a 'results' list (dmabuf-lab bench output); "
                          "left out of the bench results", stacklevel=2)
            continue
        for r in doc["results"]:
            rows.append({"file": path.name, "machine": str(doc.get("machine")), "device": str(doc.get("device")),
                         "quick": bool(doc.get("quick")), "created": str(doc.get("created_utc")),
                         **{k: r.get(k) for k in ("kernel", "backend", "ranges", "ns_per_range", "roofline_ratio",
                                                  "speed_of_light_ratio", "vs_numpy_same", "vs_reference",
                                                  "vs_python_port")}})
    return pl.DataFrame(rows, schema=schema)
