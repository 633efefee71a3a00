"""Where the page-table emission's time goes: the one-pass kernel with parts switched off.

Runs, interleaved in one process and min-of-N, the speed-of-light loop for
the bench workload (``bench.speed_of_light.leaves_loop``), the shipped
two-thread kernel (``page_table.cpu.build_one_pass``), ``build_page_table``
around it, and a copy of the kernel's loop with one part at a time replaced
by the least the loop needs: the VA order check, the per-range counting
(``count_step``), the table spans, the entry encoding (``write_step``) and
the ``iommu_pgsize`` step.  The copy checks nothing of what the shipped
kernel checks; it only times.  Prints wall and process CPU time per range
and each row's share of the loop, with the load average.

    .venv/bin/python benchmarks/page_table_emit_profile.py [ranges] [repeats]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from dmabuf_lab.bench import speed_of_light as sol
from dmabuf_lab.bench import workloads
from dmabuf_lab.kernels.backends import Workspace
from dmabuf_lab.kernels.iommu_pgsize_step import iommu_pgsize_step
from dmabuf_lab.kernels.jit import numba
from dmabuf_lab.kernels.meet import claim, half_of, nth
from dmabuf_lab.kernels.page_table import build_page_table, cpu, format_record
from dmabuf_lab.kernels.page_table.cpu import _acc, _flush, _scratch
from dmabuf_lab.kernels.page_table.device import (add_range_tables, count_step, order_flags, range_status,
                                                  write_step)
from dmabuf_lab.kernels.pt_formats import get_format
from dmabuf_lab.kernels.streaming import store
from dmabuf_lab.kernels.twin import cpu_kernel

U64 = np.uint64


@cpu_kernel(parallel=True)
def ablated(va, oa, size, f, half, mid, status, flags, hist, slots, tcount, tfirst, tlast, o_va, o_pte, o_lvl,
            ends, do_order, do_count, do_tables, do_encode, do_step):
    n = va.shape[0]
    cap = o_va.shape[0]
    sh0 = f.tsh[0]
    for t in numba.prange(2):
        h, sl, tc, tf, tl, fb, lbe = _scratch(f.shifts.shape[0])
        fl = 0
        low_only = False
        j = mid
        lo_i, hi_i = half_of(t, half, n)
        for r in range(hi_i - lo_i):
            i = nth(t, lo_i, hi_i, r)
            if do_order:
                fl |= order_flags(va, size, i)
            rs = va[i]
            o = oa[i]
            s = size[i]
            st = range_status(rs, o, s, f)
            store(status, i, st, f.stream)
            if st != 0 or s == U64(0):
                continue
            re = rs + s
            if do_step:
                idx, cnt = iommu_pgsize_step(f.bitmap, rs, o, s)
            else:
                idx, cnt = np.int64(12), s >> U64(12)
            if do_count:
                top, m = count_step(rs, idx, cnt, rs, re, 0, f, h, sl, fb, lbe)
            else:
                top, m = 0, np.int64(cnt)
            if do_tables:
                same = False
                if top == 0 and low_only and sh0 < 64:
                    b0 = np.int64(rs >> U64(sh0))
                    same = b0 == np.int64((re - U64(1)) >> U64(sh0)) and b0 == (tl[0] if t == 1 else tf[0])
                low_only = top == 0
                if not same:
                    add_range_tables(rs, re, top, fb, lbe, f, t == 0, tc, tf, tl)
            at, j = claim(t, j, m, cap)
            if at < 0:
                fl |= 4
                continue
            if do_encode:
                write_step(rs, o, idx, cnt, rs, re, at, f, o_va, o_pte, o_lvl)
            else:
                for q in range(m):
                    o_va[at + q] = rs + (U64(q) << U64(12))
                    o_pte[at + q] = (o + (U64(q) << U64(12))) | U64(3)
                    o_lvl[at + q] = 0
        _flush(t, h, sl, tc, tf, tl, hist, slots, tcount, tfirst, tlast)
        flags[t] = fl
        ends[t] = j


VARIANTS = {  # order, count, tables, encode, step
    "copy, all parts": (1, 1, 1, 1, 1),
    "  no order check": (0, 1, 1, 1, 1),
    "  no counting": (1, 0, 1, 1, 1),
    "  no table spans": (1, 1, 0, 1, 1),
    "  no entry encoding": (1, 1, 1, 0, 1),
    "  no iommu_pgsize": (1, 1, 1, 1, 0),
    "  none of these": (0, 0, 0, 0, 0),
}


def main(n: int, repeats: int) -> None:
    d = workloads._make_pt(n, np.random.default_rng(1))
    fmt = get_format("x86-64-4level")
    rec = format_record(fmt, stream=None)
    b = cpu.entries_bounds(d["size"], fmt)
    mid, cap = int(b[0]), int(b[0]) + int(b[1])
    status = np.empty(n, np.int32)
    outs = (np.empty(cap, U64), np.empty(cap, U64), np.empty(cap, np.int8))
    acc = _acc(2, fmt.levels)
    flags = np.zeros(2, np.int64)
    ends = np.zeros(2, np.int64)
    ws = Workspace()
    loop = sol.for_pt_emit(d)
    rows = {"speed-of-light loop": loop.run,
            "build_page_table": lambda: build_page_table((d["va"], d["oa"], d["size"]), fmt, backend="numba",
                                                         materialize=True, workspace=ws),
            "build_one_pass kernel": lambda: cpu.build_one_pass(d["va"], d["oa"], d["size"], rec, True, n // 2, mid,
                                                                status, flags, *acc, *outs, ends)}
    for name, v in VARIANTS.items():
        rows[name] = (lambda v=v: ablated(d["va"], d["oa"], d["size"], rec, n // 2, mid, status, flags, *acc, *outs,
                                          ends, *[bool(x) for x in v]))
    for fn in rows.values():
        fn()
    wall = dict.fromkeys(rows, float("inf"))
    cput = dict.fromkeys(rows, float("inf"))
    load0 = os.getloadavg()
    for _ in range(repeats):
        for name, fn in rows.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cput[name] = min(cput[name], time.process_time() - c0)
    ref = "speed-of-light loop"
    print(f"{n} ranges, min of {repeats}; load average {load0[0]:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print(f"{'':24s} {'wall ns':>8s} {'CPU ns':>8s} {'loop/this (wall)':>17s} {'(CPU)':>6s}")
    for name in rows:
        print(f"{name:24s} {wall[name] * 1e9 / n:8.2f} {cput[name] * 1e9 / n:8.2f} "
              f"{wall[ref] / wall[name]:17.3f} {cput[ref] / cput[name]:6.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10 ** 6, int(sys.argv[2]) if len(sys.argv) > 2 else 7)
