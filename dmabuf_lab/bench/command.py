"""``dmabuf-lab bench``: the bulk kernels against the memory roofline.

For each kernel, backend and size: the kernel's best time, its throughput,
and ratios measured in the same run -- against the roofline (bytes the
kernel must read and write per second, over the bandwidth of a plain array
copy of >= 256 MiB), against the speed-of-light loop that moves the same
streams and does nothing else (and that loop against the roofline), against
numpy running the same algorithm and against the generic numpy reference
(:mod:`.ratios`), and against a line-by-line Python port of the per-range
loop (timed on a subset and scaled linearly; the subset size is recorded).  Results go to
``<out>/<machine>-<device>-<backends>.json``, written atomically.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import socket
import sys
import tempfile
import time

import numpy as np

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.kernels import backends
from dmabuf_lab.kernels.containers import measure_containers
from dmabuf_lab.kernels.streaming import STREAM_ENV, STREAM_MIN_BYTES, stream_stores_enabled

from . import ratios
from .workloads import CASES

FULL_SIZES = [10 ** k for k in range(3, 9)]
QUICK_SIZES = [10 ** 3, 10 ** 4, 10 ** 5]
FULL_COPY_BYTES = 256 << 20
QUICK_COPY_BYTES = 32 << 20
REFERENCE_MAX = 10 ** 7        # the numpy reference needs ~10x the kernel's memory: not run above
TARGETS = [  # (kernel, backend, size, metric, goal, wording)
    ("translate_sriov", "numba", 10 ** 7, "roofline_ratio", 0.80, "translation, SR-IOV fast path >= 80% of roofline"),
    ("translate_windows", "numba", 10 ** 7, "roofline_ratio", 0.50,
     "translation, generic windows + block splitting >= 50% of roofline"),
    ("page_table_emit", "numba", 10 ** 7, "roofline_ratio", 0.70, "page-table emission >= 70% of roofline"),
] + [(k, "numba", 10 ** 7, "vs_reference", 10.0, f"{k}: numba >= 10x its numpy reference") for k in CASES]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true",
                   help="CI size: 10^3..10^5 ranges, 32 MiB roofline copy, few repeats")
    p.add_argument("--json", action="store_true", help="print the JSON document instead of tables")
    p.add_argument("--sizes", type=int, nargs="+", metavar="N",
                   help="numbers of ranges (default 10^3..10^8, or 10^3..10^5 with --quick)")
    p.add_argument("--backend", nargs="+", default=["reference", "numba", "cuda"],
                   help="backends to time: reference numba cuda auto (default: all that can run here)")
    p.add_argument("--kernels", nargs="+", choices=sorted(CASES), help="only these kernels")
    p.add_argument("--out", default="data/bench",
                   help="directory for <machine>-<device>-<backends>.json (checked before anything runs)")
    p.add_argument("--machine", help="machine name for the file (default: the host name)")
    p.add_argument("--no-containers", action="store_true", help="skip the container-cost table")
    p.add_argument("--no-write", action="store_true", help="do not write the JSON file")
    p.add_argument("--port-subset", type=int, help="ranges given to the Python port (default 2000 quick, 20000 full)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random range sets, so two runs time the same inputs (0 .. 2**32-1, default 0)")


class NothingMeasured(LabInputError):
    """A bench run that would measure nothing: no backend or no size can run here."""


def check_options(args) -> None:
    """Reject bad numbers before anything is measured."""
    if args.sizes is not None and any(n < 1 for n in args.sizes):
        raise LabInputError(f"expected positive numbers of ranges, got {args.sizes}", field="--sizes")
    if args.port_subset is not None and args.port_subset < 1:
        raise LabInputError(f"expected a positive number of ranges for the Python port, got {args.port_subset}",
                            field="--port-subset")
    if not 0 <= args.seed < 2 ** 32:
        raise LabInputError(f"expected a seed from 0 to 2**32-1, got {args.seed}", field="--seed")
    try:
        stream_stores_enabled()
    except ValueError as exc:
        raise LabInputError(str(exc), field=STREAM_ENV) from None
    for be in args.backend:
        if be not in backends.BACKENDS and be not in ("auto", "all"):
            raise LabInputError(f"unknown backend {be!r}; expected some of: "
                                f"{', '.join(list(backends.BACKENDS) + ['auto', 'all'])}", field="--backend")


def check_out_dir(out: str) -> str:
    """Make sure results can be written to directory ``out`` (created if missing); return it.

    Checked before the benchmark runs, so a bad --out never costs a run."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise LabInputError(f"{out} is not a directory; expected a directory for the results file",
                            field="--out")
    try:
        os.makedirs(out, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".bench-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise LabInputError(f"cannot write to {out}: {exc.strerror}; expected a writable directory",
                            field="--out") from None
    return out


# ------------------------------------------------------------------ helpers
def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-") or "unknown"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def mem_available() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def loadavg() -> list:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def device_name(backend_list) -> str:
    if "cuda" in backend_list and backends.gpu_usable()[0]:
        from numba import cuda
        name = cuda.get_current_device().name
        return _slug(name.decode() if isinstance(name, bytes) else str(name))
    return _slug(f"{cpu_model()}-{os.cpu_count()}cpu")


def best_time(fn, min_total=0.4, max_repeats=7, sync=None, with_cpu=False):
    """Best wall time over repeats (at least 2 unless one call exceeds ``min_total``).

    With ``with_cpu`` also the smallest CPU time of the process over the
    repeats (all threads summed), recorded as a hint: on a shared machine a
    parallel kernel whose cpu/wall stays well under its thread count spent
    part of its wall time waiting for a CPU or for its slower thread."""
    times, cpus = [], []
    t_start = time.perf_counter()
    while True:
        c0 = time.process_time()
        t0 = time.perf_counter()
        out = fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        spent = time.perf_counter() - t_start
        if len(times) >= max_repeats or (spent >= min_total and len(times) >= 2) or times[-1] > 5.0:
            break
    if with_cpu:
        return min(times), len(times), out, min(cpus)
    return min(times), len(times), out


def measure_roofline(nbytes: int, backend: str):
    """Copy bandwidth 2*B/t of a plain array copy of B bytes on the backend's device."""
    if backend == "cuda" and backends.gpu_usable()[0]:
        cp = backends.cupy_module()
        if cp is None:
            return None
        src = cp.ones(nbytes // 8, dtype=cp.uint64)
        dst = cp.empty_like(src)
        sync = cp.cuda.Device().synchronize
        t, reps, _ = best_time(lambda: dst.__setitem__(slice(None), src), sync=sync, max_repeats=20)
        return {"device": "gpu", "copy_bytes": nbytes, "copy_s": t, "copy_bandwidth_Bps": 2 * nbytes / t,
                "method": "cupy device-to-device copy"}
    src = np.ones(nbytes // 8, dtype=np.uint64)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    t1, _, _ = best_time(lambda: np.copyto(dst, src), max_repeats=20, min_total=1.0)
    # the same copy as a numba parallel loop over all cores (the store path the kernels use);
    # the first parallel loop of the run starts numba's threads: with the kernels' wait policy
    from dmabuf_lab.kernels import threads
    from dmabuf_lab.kernels.jit import numba
    threads.before_first_parallel_kernel()

    @numba.njit(parallel=True)
    def loop_copy(a, b):
        for i in numba.prange(a.shape[0]):
            b[i] = a[i]

    loop_copy(src, dst)
    t2, _, _ = best_time(lambda: loop_copy(src, dst), max_repeats=20, min_total=1.0)
    t3, _, _ = best_time(lambda: src.copy(), max_repeats=5, min_total=0.5)
    best = min(t1, t2)
    return {"device": "cpu", "copy_bytes": nbytes, "copy_s": best, "copy_bandwidth_Bps": 2 * nbytes / best,
            "method": "best of np.copyto (memcpy, one thread) and a numba prange copy (all threads), "
                      "warm destination",
            "np_copyto_Bps": 2 * nbytes / t1, "numba_loop_copy_Bps": 2 * nbytes / t2,
            "numpy_copy_with_alloc_Bps": 2 * nbytes / t3}


def _best_roof(a, b):
    """The stricter (faster) of two roofline measurements of the same device."""
    if not a or not b:
        return a or b
    best = a if a["copy_bandwidth_Bps"] >= b["copy_bandwidth_Bps"] else b
    out = dict(best)
    out["measurements_Bps"] = [a["copy_bandwidth_Bps"], b["copy_bandwidth_Bps"]]
    return out


def _atomic_write(path: str, doc: dict) -> None:
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bench-", suffix=".json", dir=d)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes it private; results are for sharing
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _to_device(d: dict):
    cp = backends.cupy_module()
    out = {}
    for k, v in d.items():
        out[k] = cp.asarray(v) if isinstance(v, np.ndarray) and cp is not None else v
    return out


# ------------------------------------------------------------------ main
def run_bench(args) -> dict:
    quick = args.quick
    check_options(args)
    sizes = sorted(set(args.sizes or (QUICK_SIZES if quick else FULL_SIZES)))
    want = list(dict.fromkeys(args.backend))
    if "all" in want:
        want = ["reference", "numba", "cuda"]
    notes, skipped = [], []
    run_backends = []
    for be in want:
        if be == "auto":
            be = backends.resolve("auto")
        if be not in backends.BACKENDS:
            raise LabInputError(f"unknown backend {be!r}", field="--backend")
        if be == "cuda":
            ok, why = backends.gpu_usable()
            if not ok:
                skipped.append({"kernel": "*", "backend": "cuda", "ranges": None,
                                "reason": f"no usable GPU ({why}); GPU figures remain to be measured"})
                continue
        if be == "numba" and not backends.numba_available():
            skipped.append({"kernel": "*", "backend": "numba", "ranges": None, "reason": "numba not installed"})
            continue
        if be not in run_backends:
            run_backends.append(be)
    if not run_backends:
        why = "; ".join(f"{x['backend']}: {x['reason']}" for x in skipped) or "none asked for"
        raise NothingMeasured(f"no backend can run here ({why}); nothing measured, nothing written",
                              field="--backend")
    kernels = args.kernels or list(CASES)
    copy_bytes = QUICK_COPY_BYTES if quick else FULL_COPY_BYTES
    if quick:
        notes.append(f"--quick: roofline from a {copy_bytes >> 20} MiB copy (the full run uses 256 MiB); "
                     "small sizes fit in caches, so quick ratios are not roofline claims")
    port_subset = args.port_subset or (2000 if quick else 20000)
    threads = _numba_threads() or 1
    machine = _slug(args.machine or socket.gethostname())
    device = device_name(run_backends)
    load_start = loadavg()

    # the roofline is measured before and after the kernels; the faster (stricter) one is used
    roofs = {}
    for be in run_backends:
        key = "gpu" if be == "cuda" else "cpu"
        if key not in roofs:
            roofs[key] = measure_roofline(copy_bytes, be)
    results = []
    rng_seed = args.seed
    for kname in kernels:
        case = CASES[kname]
        for n in sizes:
            need = case.bytes_per_range_estimate * n
            avail = mem_available()
            if avail and need > 0.5 * avail:
                for be in run_backends:
                    skipped.append({"kernel": kname, "backend": be, "ranges": n,
                                    "reason": f"needs about {need / 2**30:.1f} GiB, more than half of the "
                                              f"{avail / 2**30:.1f} GiB available"})
                continue
            d = case.make(n, np.random.default_rng(rng_seed))
            row_ref = None
            rows_here = []
            for be in run_backends:
                if be == "reference" and n > REFERENCE_MAX:
                    skipped.append({"kernel": kname, "backend": be, "ranges": n,
                                    "reason": f"numpy reference not run above {REFERENCE_MAX:.0e} ranges "
                                              "(its temporaries would not fit in memory)"})
                    continue
                dd, sync, roof = d, None, roofs["cpu" if be != "cuda" else "gpu"]
                if be == "cuda":
                    dd = _to_device(d)
                    from numba import cuda
                    sync = cuda.synchronize
                case.run(dd, be) if be != "reference" or n <= 10 ** 6 else None  # warm-up / JIT
                # the fast backends get many tries spread over a few seconds (on a shared machine the
                # best one is the least disturbed by other load); the reference a few
                slow = be == "reference" and n >= 10 ** 6
                t, reps, out, cpu = best_time(lambda: case.run(dd, be), sync=sync,
                                              min_total=0.4 if slow else (1.0 if quick else 2.5),
                                              max_repeats=3 if slow else (15 if quick else 200), with_cpu=True)
                nbytes = case.bytes_moved(d, out)
                row = {"kernel": kname, "backend": be, "ranges": n, "outputs": int(case.outputs(out)),
                       "seconds": t, "repeats": reps, "bytes_moved": int(nbytes), "bandwidth_Bps": nbytes / t,
                       "ranges_per_s": n / t, "ns_per_range": 1e9 * t / n,
                       "roofline_ratio": (nbytes / t) / roof["copy_bandwidth_Bps"] if roof else None,
                       "cpu_seconds": cpu, "threads": threads if be == "numba" else 1,
                       "_roof": "gpu" if be == "cuda" else "cpu"}
                rows_here.append(row)
                if be == "reference":
                    row_ref = row
                del out
            m = min(n, port_subset)
            t_port, _, _ = best_time(lambda: case.port(d, m), max_repeats=3 if m >= 10 ** 4 else 5)
            port_scaled = t_port * n / m
            base = ratios.measure(case, d, n, best_time, quick, with_numpy=n <= REFERENCE_MAX)
            for row in rows_here:
                row["_base"] = base
                row["vs_reference"] = (row_ref["seconds"] / row["seconds"]) if row_ref else None
                row["python_port_seconds"] = port_scaled
                row["python_port_subset"] = m
                row["python_port_scaled"] = m < n
                row["vs_python_port"] = port_scaled / row["seconds"]
            results.extend(rows_here)
            if not args.json:
                for row in rows_here:
                    print(_fmt_row(row), flush=True)
            d = None  # free the inputs before the next size

    for key in list(roofs):
        roofs[key] = _best_roof(roofs[key], measure_roofline(copy_bytes, "cuda" if key == "gpu" else "numba"))
    for row in results:
        roof = roofs.get(row.pop("_roof"))
        row["roofline_ratio"] = row["bandwidth_Bps"] / roof["copy_bandwidth_Bps"] if roof else None
        ref_s = next((r["seconds"] for r in results if r["kernel"] == row["kernel"] and
                      r["ranges"] == row["ranges"] and r["backend"] == "reference"), None)
        ratios.annotate(row, row.pop("_base"), ref_s, roof["copy_bandwidth_Bps"] if roof else None)

    if not results:
        why = "; ".join(f"{x['kernel']} {x['backend']} at {x['ranges']}: {x['reason']}"
                        for x in skipped[:3])
        raise NothingMeasured(f"every kernel and size was skipped ({why}); nothing measured, nothing written",
                              field="--sizes")
    containers = []
    if not args.no_containers:
        csizes = [1, 10, 100, 1000, 10_000] + ([] if quick else [100_000, 1_000_000])
        containers = measure_containers(csizes, repeat=3 if quick else 5, seed=rng_seed)
        notes.append("containers: numba loops over numpy models of each layout; relative costs, not kernel ns "
                     "(see dmabuf_lab/kernels/containers.py)")

    doc = {
        "schema": 1,
        "machine": machine,
        "device": device,
        "backends": run_backends,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": quick,
        "command": "dmabuf-lab bench " + " ".join(sys.argv[2:] if len(sys.argv) > 2 else []),
        "host": {"cpu_model": cpu_model(), "cpus": os.cpu_count(), "numba_threads": _numba_threads(),
                 "python": platform.python_version(), "numpy": np.__version__, "numba": _numba_version(),
                 "mem_available_bytes": mem_available(), "loadavg_start": load_start, "loadavg_end": loadavg(),
                 "stream_stores": stream_stores_note()},
        "roofline": roofs,
        "notes": notes,
        "results": results,
        "skipped": skipped,
        "linearity": linearity(results),
        "targets": check_targets(results, sizes),
        "containers": containers,
    }
    return doc


def stream_stores_note() -> str:
    """Which stores the CPU kernels and speed-of-light loops wrote their outputs with."""
    if stream_stores_enabled():
        return f"non-temporal for outputs of {STREAM_MIN_BYTES >> 20} MiB or more ({STREAM_ENV}=1), plain below"
    return f"plain ({STREAM_ENV} unset or 0)"


def _numba_threads():
    try:
        import numba
        return numba.get_num_threads()
    except ImportError:
        return 0


def _numba_version():
    try:
        import numba
        return numba.__version__
    except ImportError:
        return None


def linearity(results) -> list:
    """Per kernel/backend: ns per range at each size and the log-log slope of time vs size
    (1.0 is linear), fitted over sizes >= 10^4 where caches no longer dominate."""
    out = []
    keys = sorted({(r["kernel"], r["backend"]) for r in results})
    for k, be in keys:
        rows = sorted((r for r in results if r["kernel"] == k and r["backend"] == be), key=lambda r: r["ranges"])
        fit = [r for r in rows if r["ranges"] >= 10 ** 4] or rows
        slope = None
        if len(fit) >= 2:
            x = np.log10([r["ranges"] for r in fit])
            y = np.log10([r["seconds"] for r in fit])
            slope = float(np.polyfit(x, y, 1)[0])
        out.append({"kernel": k, "backend": be, "loglog_slope": slope,
                    "ns_per_range": {str(r["ranges"]): round(r["ns_per_range"], 3) for r in rows}})
    return out


def check_targets(results, sizes) -> list:
    out = []
    for kernel, be, n, metric, goal, words in TARGETS:
        row = next((r for r in results if r["kernel"] == kernel and r["backend"] == be and r["ranges"] == n), None)
        if row is None:
            out.append({"target": words, "kernel": kernel, "backend": be, "ranges": n, "goal": goal,
                        "measured": None, "met": None, "note": "not measured in this run"})
            continue
        val = row.get(metric)
        met = None if val is None else bool(val >= goal)
        note = ""
        if met is False:
            note = f"missed by {100 * (1 - val / goal):.0f}% ({val:.2f} vs {goal:.2f})"
            sol = row.get("speed_of_light_roofline_ratio")
            if metric == "roofline_ratio" and sol is not None:
                note += (f"; the speed-of-light loop for these streams reaches {sol:.2f} of the roofline"
                         f"{' (the goal is out of reach here)' if sol < goal else ''}, the kernel "
                         f"{row['speed_of_light_ratio']:.2f} of that loop")
        out.append({"target": words, "kernel": kernel, "backend": be, "ranges": n, "goal": goal,
                    "measured": val, "met": met, "note": note})
    return out


def _fmt_row(r) -> str:
    rr = f"{100 * r['roofline_ratio']:5.1f}%" if r.get("roofline_ratio") is not None else "   n/a"
    vr = f"{r['vs_reference']:7.1f}x" if r.get("vs_reference") else "     n/a"
    return (f"{r['kernel']:<20} {r['backend']:<9} {r['ranges']:>11,} {r['seconds']:10.4f}s "
            f"{r['ns_per_range']:9.1f} ns/rng {r['bandwidth_Bps'] / 1e9:7.2f} GB/s roof {rr}  ref {vr}  "
            f"port {r['vs_python_port']:9.0f}x{'*' if r['python_port_scaled'] else ''}")


def _pct(x) -> str:
    return "   n/a" if x is None else f"{100 * x:5.1f}%"


def _times(x) -> str:
    return "    n/a" if not x else f"{x:6.1f}x"


def print_report(doc) -> None:
    print("(rows above: roofline ratios against the first copy measurement; the table below and the "
          "JSON use the faster of the measurements before and after)")
    for key, roof in doc["roofline"].items():
        if roof:
            extra = ""
            if roof.get("numba_loop_copy_Bps"):
                extra = (f"; np.copyto {roof['np_copyto_Bps'] / 1e9:.1f} GB/s, numba loop copy "
                         f"{roof['numba_loop_copy_Bps'] / 1e9:.1f} GB/s, numpy copy with allocation "
                         f"{roof['numpy_copy_with_alloc_Bps'] / 1e9:.1f} GB/s")
            print(f"roofline ({key}): {roof['method']} of {roof['copy_bytes'] >> 20} MiB: "
                  f"{roof['copy_bandwidth_Bps'] / 1e9:.1f} GB/s{extra}")
    print("\nresults at the two largest sizes -- roof: share of the copy roofline; sol: share of the "
          "speed-of-light loop's bandwidth (that loop's own share of the roofline in brackets); "
          "np-same: x numpy running the same algorithm; np-generic: x the generic numpy reference "
          "(binary searches); port: x the Python port:")
    big = sorted({r["ranges"] for r in doc["results"]})[-2:]
    for r in doc["results"]:
        if r["ranges"] in big:
            print(f"  {r['kernel']:<20} {r['backend']:<9} {r['ranges']:>11,}  {r['ns_per_range']:8.1f} ns/range  "
                  f"roof {_pct(r['roofline_ratio'])}  sol {_pct(r.get('speed_of_light_ratio'))} "
                  f"({_pct(r.get('speed_of_light_roofline_ratio'))})  np-same {_times(r.get('vs_numpy_same'))}  "
                  f"np-generic {_times(r.get('vs_reference'))}  port {r['vs_python_port']:.0f}x  cpu/wall "
                  f"{r['cpu_seconds'] / r['seconds']:.2f}")
    print("numpy same-algorithm baselines:")
    for k in dict.fromkeys(r["kernel"] for r in doc["results"]):
        is_ = next(r.get("numpy_same_is") for r in doc["results"] if r["kernel"] == k)
        print(f"  {k:<20} {is_}")
    print(f"CPU output stores: {doc['host']['stream_stores']}; numba rows write into a warm workspace "
          "(outputs reused from the warm-up call), as the roofline copy writes into a warm destination")
    for n in doc["notes"]:
        print("note:", n)
    print("* Python port timed on a subset and scaled linearly (see python_port_subset)")
    print("\nlinearity (ns per range by size; log-log slope 1.0 = linear):")
    for L in doc["linearity"]:
        s = "n/a" if L["loglog_slope"] is None else f"{L['loglog_slope']:.2f}"
        print(f"  {L['kernel']:<20} {L['backend']:<9} slope {s:>5}  " +
              "  ".join(f"{int(k):.0e}:{v:.1f}" for k, v in L["ns_per_range"].items()))
    print("\ntargets:")
    for t in doc["targets"]:
        state = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        val = "" if t["measured"] is None else f" measured {t['measured']:.2f}"
        print(f"  [{state}] {t['target']}{val} {t['note']}")
    for s in doc["skipped"]:
        where = "" if s["ranges"] is None else f" at {s['ranges']:,}"
        print(f"skipped: {s['kernel']} {s['backend']}{where}: {s['reason']}")
    if doc["containers"]:
        print("\ncontainers (best seconds; RDMA = mask pass + fill pass; ns/frag without the call overhead):")
        for r in doc["containers"]:
            print(f"  {r['container']:<10} {r['fragments']:>9,}  build {r['build_s']:.2e}  consume "
                  f"{r['consume_s']:.2e}  rdma {r['rdma_s']:.2e}  consume {r['consume_ns_per_fragment']:7.2f} "
                  f"ns/frag  rdma {r['rdma_ns_per_fragment']:7.2f} ns/frag  footprint {r['footprint_bytes']:,}")


def result_name(doc: dict) -> str:
    """``<machine>-<device>-<backends>[-quick].json``: which machine, device and backends measured it."""
    name = f"{doc['machine']}-{doc['device']}-{'-'.join(doc['backends'])}"
    return name + ("-quick.json" if doc["quick"] else ".json")


def main(args) -> int:
    check_options(args)
    if not args.no_write:
        check_out_dir(args.out)
    doc = run_bench(args)
    path = None
    if not args.no_write:
        path = os.path.join(args.out, result_name(doc))
        _atomic_write(path, doc)
    if args.json:
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_report(doc)
        if path:
            print(f"\nwrote {path}")
    return 0
