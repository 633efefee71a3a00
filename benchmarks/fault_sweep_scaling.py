"""How the litmus fault sweep scales with worker processes, and what its cache saves.

    .venv/bin/python benchmarks/fault_sweep_scaling.py            # 1 vs 2 workers, 5 rounds
    .venv/bin/python benchmarks/fault_sweep_scaling.py --workers 1 2 4 --repeats 7
    .venv/bin/python benchmarks/fault_sweep_scaling.py --scheduler tcp://127.0.0.1:8786

Every scenario under ``litmus/`` is swept under every revision it names
(what ``dmabuf-lab litmus --faults`` does), with the cache off, once per
worker count per round; the counts alternate in order from round to round
so a change in the machine's load falls on all of them alike.  Each time is
end to end: planning, starting the local process pool, both rounds of
tasks, merging.  The speed-up is the 1-worker time over the N-worker time,
from the fastest round of each (the least disturbed by other work on the
machine) and from the medians.  Every run's rows must equal the first
run's, or the script fails.

Then the cache: one run fills an empty cache and a second identical run
reads it back; both times are printed.

The load average at the start and the end is printed because a shared
machine moves every figure; so is the CPU time the workers and the client
spent, which the machine's load moves much less than the wall time.  Each
round also times a plain CPU loop (no data, no cache) on the same worker
counts: its speed-up is the most the machine allowed at that moment, to
read the sweep's against.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dmabuf_lab.tasks.engine import RunStats  # noqa: E402
from dmabuf_lab.litmus.fault_tasks import fault_sweep, sweep_pairs  # noqa: E402
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario  # noqa: E402


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(pairs, cpu: dict | None = None, **where) -> tuple[float, list, list]:
    """Wall seconds, rows and per-round stats of one sweep; ``cpu`` gets the CPU seconds
    of this process and of the worker processes (counted once the pool has exited)."""
    stats: list[RunStats] = []
    own, kids = time.process_time(), _children_cpu()
    start = time.perf_counter()
    rows = fault_sweep(pairs, stats=stats, **where)
    wall = time.perf_counter() - start
    if cpu is not None:
        cpu["client"] = time.process_time() - own
        cpu["workers"] = _children_cpu() - kids
    return wall, rows, stats


def spin(n: int) -> int:
    """Pure CPU work with no data to ship: the speed-up the machine itself allows."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def ceiling(workers: int, pieces: int = 8, size: int = 1_500_000) -> float:
    """Wall seconds of ``pieces`` equal spins on a fresh pool of ``workers`` processes."""
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(spin, [size] * pieces))
    return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], metavar="N",
                    help="local worker counts to compare (default: 1 2); the first is the baseline")
    ap.add_argument("--repeats", type=int, default=5, help="rounds of every worker count (default: 5)")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="also time the sweep on this Dask scheduler")
    ap.add_argument("--no-cache-check", action="store_true", help="skip the cache part")
    ap.add_argument("--no-ceiling", action="store_true",
                    help="skip timing a plain CPU loop on the same worker counts in each round")
    args = ap.parse_args(argv)
    if args.repeats < 1 or any(n < 1 for n in args.workers):
        ap.error("expected --repeats >= 1 and worker counts >= 1")

    print(f"machine: {os.cpu_count()} CPUs; load average at start: {_load()}")
    scenarios = [load_scenario(p) for p in find_scenarios()]
    pairs = [pair for sc in scenarios for pair in sweep_pairs(sc)]
    _, reference, stats = timed(pairs, workers=0, cache=False)
    print(f"fault sweep: {len(scenarios)} scenarios, {len(pairs)} scenario x revision pairs, "
          f"{sum(s.total for s in stats)} runs ({stats[0].total} baseline + {stats[1].total} faulted)")

    times: dict = {n: [] for n in args.workers}
    cpus: dict = {n: [] for n in args.workers}
    spins: dict = {n: [] for n in args.workers}
    for r in range(args.repeats):
        order = args.workers if r % 2 == 0 else list(reversed(args.workers))
        for n in order:
            if not args.no_ceiling:
                spins[n].append(ceiling(n))
            cpu: dict = {}
            seconds, rows, _ = timed(pairs, cpu, workers=n, cache=False)
            if rows != reference:
                print(f"FAILED: {n} workers gave other rows than the in-process sweep", file=sys.stderr)
                return 1
            times[n].append(seconds)
            cpus[n].append(cpu)
        print(f"  round {r + 1}: " + ", ".join(f"{n} worker{'s' * (n != 1)} {times[n][-1]:.2f} s"
                                               for n in args.workers), flush=True)
    base = args.workers[0]
    print(f"\n{'workers':>8}  {'fastest':>8}  {'median':>8}  {'speed-up (fastest)':>18}  {'(median)':>8}"
          f"  {'CPU s: workers':>14}  {'client':>6}")
    for n in args.workers:
        best, med = min(times[n]), statistics.median(times[n])
        wcpu = statistics.median(c["workers"] for c in cpus[n])
        ccpu = statistics.median(c["client"] for c in cpus[n])
        print(f"{n:>8}  {best:>7.2f}s  {med:>7.2f}s  {min(times[base]) / best:>17.2f}x  "
              f"{statistics.median(times[base]) / med:>7.2f}x  {wcpu:>14.2f}  {ccpu:>6.2f}")
    print("(CPU s: medians of the CPU time the worker processes and this process spent per sweep; on a "
          "busy machine the wall times mostly measure the other load)")
    if not args.no_ceiling:
        print("\nwhat the machine allowed meanwhile: a plain CPU loop split in 8 equal pieces, same rounds")
        print(f"{'workers':>8}  {'fastest':>8}  {'median':>8}  {'speed-up (fastest)':>18}  {'(median)':>8}")
        for n in args.workers:
            print(f"{n:>8}  {min(spins[n]):>7.2f}s  {statistics.median(spins[n]):>7.2f}s  "
                  f"{min(spins[base]) / min(spins[n]):>17.2f}x  "
                  f"{statistics.median(spins[base]) / statistics.median(spins[n]):>7.2f}x")

    if args.scheduler:
        seconds, rows, _ = timed(pairs, scheduler=args.scheduler, cache=False)
        same = "same rows" if rows == reference else "OTHER ROWS"
        print(f"\nDask scheduler {args.scheduler}: {seconds:.2f} s ({same})")
        if rows != reference:
            return 1

    if not args.no_cache_check:
        with tempfile.TemporaryDirectory(prefix="fault-cache-") as cache:
            first_s, first_rows, first = timed(pairs, workers=max(args.workers), cache=cache)
            second_s, second_rows, second = timed(pairs, workers=max(args.workers), cache=cache)
        ok = first_rows == second_rows == reference
        print(f"\ncache, first run (empty cache):  {first_s:6.2f} s, "
              f"{sum(s.computed for s in first)} runs computed, {sum(s.cached for s in first)} read")
        print(f"cache, second identical run:     {second_s:6.2f} s, "
              f"{sum(s.computed for s in second)} runs computed, {sum(s.cached for s in second)} read"
              f"{'' if ok else '  (OTHER ROWS)'}")
        if not ok:
            return 1
    print(f"\nload average at end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
