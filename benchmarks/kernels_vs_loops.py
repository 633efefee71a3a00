"""Every bench kernel against its speed-of-light loop, interleaved in one process.

``dmabuf-lab bench`` times each kernel and its loop one after the other, a
few seconds apart; on a loaded machine the two can see different load.
This script alternates them call by call (min of N wall and process CPU
time) and prints both ratios with the load average, so the kernel/loop
figure holds under load too.

    .venv/bin/python benchmarks/kernels_vs_loops.py [ranges] [repeats] [kernel ...]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from dmabuf_lab.bench.workloads import CASES


def main(n: int, repeats: int, names) -> None:
    print(f"{n} ranges, min of {repeats}; load average {os.getloadavg()[0]:.2f} at the start")
    print(f"{'kernel':22s} {'wall ns':>8s} {'loop ns':>8s} {'CPU ns':>8s} {'loop CPU':>8s} "
          f"{'loop/kernel wall':>16s} {'CPU':>6s}")
    for name in names:
        case = CASES[name]
        d = case.make(n, np.random.default_rng(0))
        loop = case.speed_of_light(d)
        fns = (lambda: case.run(d, "numba"), loop.run)
        for fn in fns:
            fn()
        wall = [float("inf")] * 2
        cput = [float("inf")] * 2
        for _ in range(repeats):
            for k, fn in enumerate(fns):
                c0, t0 = time.process_time(), time.perf_counter()
                fn()
                wall[k] = min(wall[k], time.perf_counter() - t0)
                cput[k] = min(cput[k], time.process_time() - c0)
        print(f"{name:22s} {wall[0] * 1e9 / n:8.2f} {wall[1] * 1e9 / n:8.2f} {cput[0] * 1e9 / n:8.2f} "
              f"{cput[1] * 1e9 / n:8.2f} {wall[1] / wall[0]:16.3f} {cput[1] / cput[0]:6.3f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 10 ** 7, int(args[1]) if len(args) > 1 else 7, args[2:] or list(CASES))
