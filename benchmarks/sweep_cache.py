"""The litmus fault sweeps with an empty and with a filled sweep cache, in one run.

    .venv/bin/python benchmarks/sweep_cache.py

Runs every scenario's fault sweep (what notebooks 04, 06 and 11 ask for)
twice against a fresh cache directory and prints both times, their ratio
and whether the two results are identical.
"""
from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dmabuf-lab-sweep-cache-") as cache:
        os.environ["DMABUF_LAB_CACHE"] = cache
        from dmabuf_lab.experiments import litmus_frames as L

        scenarios = L.load_scenarios()

        def work():
            return L.fault_rows(scenarios=scenarios), L.posted_vs_fixed_faults(scenarios)

        start = time.perf_counter()
        first = work()
        cold = time.perf_counter() - start
        start = time.perf_counter()
        second = work()
        warm = time.perf_counter() - start
        same = all(a.equals(b) for a, b in zip(first, second))
        print(f"{len(scenarios)} scenarios, {first[0].height + first[1].height} injected failures: "
              f"empty cache {cold:.2f} s, filled cache {warm:.2f} s ({cold / warm:.1f}x); "
              f"results identical: {same}; 1-min load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
