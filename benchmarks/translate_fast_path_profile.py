"""Where the SR-IOV fast path's time goes: the one-pass kernel with parts switched off.

Runs, interleaved in one process and min-of-N, the speed-of-light loop of
the bench workload (``bench.speed_of_light.segments_loop``), the shipped
two-thread kernel (``translate.cpu.FAST.one_pass``), and a copy of that
kernel's loop with one part at a time replaced by the least the loop
needs: the range checks of ``place_sriov`` (window bound, zero length,
quota), the output claim (``meet.claim``), the multi-segment write
(``write_segments``; the copy without it writes one segment per range), and
the two-thread layout itself (the copy with 64 forward chunks writes range
i at i, as the loop does).  The copy checks only what it times.  Prints
wall and process CPU time per range and each row's share of the loop.

    .venv/bin/python benchmarks/translate_fast_path_profile.py [ranges] [repeats]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from dmabuf_lab.bench import speed_of_light as sol
from dmabuf_lab.bench.workloads import CASES
from dmabuf_lab.kernels.jit import numba
from dmabuf_lab.kernels.meet import claim, half_of, nth
from dmabuf_lab.kernels.streaming import store, stream_fence
from dmabuf_lab.kernels.translate import cpu
from dmabuf_lab.kernels.translate.device import place_sriov, write_segments
from dmabuf_lab.kernels.twin import cpu_kernel

U64 = np.uint64


@numba.njit(inline="always")
def place_unchecked(a, ln, t):
    """place_sriov without its checks: VF, first block, offset, segment count."""
    sh = U64(t.sriov_shift)
    rel = a - t.sriov_base
    v = np.int64(rel >> sh)
    off = rel & ((U64(1) << sh) - U64(1))
    bs = U64(t.bshift)
    m = np.int64(((off + ln - U64(1)) >> bs) - (off >> bs)) + 1
    return np.int32(0), np.int32(v), t.blk_ptr[v] + np.int64(off >> bs), off & ((U64(1) << bs) - U64(1)), m


def make_ablated(do_check, do_claim, do_multi):
    """The one-pass loop with the parts switched off compiled out (the flags are constants of the closure)."""
    return cpu_kernel(parallel=True)(_ablated_body(bool(do_check), bool(do_claim), bool(do_multi)))


def _ablated_body(do_check, do_claim, do_multi):
    def ablated(starts, lengths, t, half, mid, status, vfo, o_ri, o_dpa, o_len, ends):
      cap = o_dpa.shape[0]
      for th in numba.prange(2):
          j = mid
          lo, hi = half_of(th, half, starts.shape[0])
          for r in range(hi - lo):
              i = nth(th, lo, hi, r)
              ln = lengths[i]
              if do_check:
                  st, v, k, inner, m = place_sriov(starts[i], ln, t)
              else:
                  st, v, k, inner, m = place_unchecked(starts[i], ln, t)
              store(status, i, st, t.stream)
              store(vfo, i, v, t.stream)
              if st != 0:
                  continue
              if not do_multi:
                  m = 1
              if do_claim:
                  at, j = claim(th, j, m, cap)
                  if at < 0:
                      j = -1
                      break
              else:
                  if th == 0:
                      j -= m
                      at = j
                  else:
                      at = j
                      j += m
              if do_multi:
                  write_segments(i, k, inner, ln, m, at, t, o_ri, o_dpa, o_len)
              else:
                  store(o_ri, at, i, t.stream)
                  store(o_dpa, at, t.blk_dpa[k] + inner, t.stream)
                  store(o_len, at, ln, t.stream)
          ends[th] = j
          stream_fence()
    return ablated


@cpu_kernel(parallel=True)
def chunked(starts, lengths, t, status, vfo, o_ri, o_dpa, o_len):
    """place_sriov in 64 forward chunks, range i written at i (one segment each): the loop's layout."""
    n = starts.shape[0]
    for c in numba.prange(64):
        for i in range(c * n // 64, (c + 1) * n // 64):
            ln = lengths[i]
            st, v, k, inner, m = place_sriov(starts[i], ln, t)
            store(status, i, st, t.stream)
            store(vfo, i, v, t.stream)
            store(o_ri, i, i, t.stream)
            store(o_dpa, i, t.blk_dpa[k] + inner, t.stream)
            store(o_len, i, ln, t.stream)
        stream_fence()


VARIANTS = {  # check, claim, multi-segment write
    "copy, all parts": (1, 1, 1),
    "  no range checks": (0, 1, 1),
    "  no claim": (1, 0, 1),
    "  one segment per range": (1, 1, 0),
    "  none of these": (0, 0, 0),
}


def main(n: int, repeats: int) -> None:
    d = CASES["translate_sriov"].make(n, np.random.default_rng(0))
    starts, lengths = d["starts"], d["lengths"]
    rec = d["topo"].record("sriov", stream=cpu.nt_flag(32 * n))
    half = n // 2
    slack = n // 8 + 64
    mid = half + slack
    status, vfo = np.empty(n, np.int32), np.empty(n, np.int32)
    outs = (np.empty(n + 2 * slack, np.int64), np.empty(n + 2 * slack, U64), np.empty(n + 2 * slack, U64))
    ends = np.zeros(2, np.int64)
    loop = sol.for_translate(d)
    rows = {"speed-of-light loop": loop.run,
            "FAST.one_pass kernel": lambda: cpu.FAST.one_pass(starts, lengths, rec, np.int64(half), np.int64(mid),
                                                              status, vfo, *outs, ends)}
    for name, v in VARIANTS.items():
        k = make_ablated(*v)
        rows[name] = (lambda k=k: k(starts, lengths, rec, np.int64(half), np.int64(mid), status, vfo, *outs, ends))
    rows["64 forward chunks, i at i"] = lambda: chunked(starts, lengths, rec, status, vfo, *outs)
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
    print(f"{'':27s} {'wall ns':>8s} {'CPU ns':>8s} {'loop/this (wall)':>17s} {'(CPU)':>6s}")
    for name in rows:
        print(f"{name:27s} {wall[name] * 1e9 / n:8.2f} {cput[name] * 1e9 / n:8.2f} "
              f"{wall[ref] / wall[name]:17.3f} {cput[ref] / cput[name]:6.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10 ** 7, int(sys.argv[2]) if len(sys.argv) > 2 else 7)
