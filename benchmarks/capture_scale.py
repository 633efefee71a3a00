"""How ``dmabuf-lab topology`` and ``dmabuf-lab ask`` grow with a captured machine, in two shapes.

    .venv/bin/python benchmarks/capture_scale.py [SIZE ...]      (default 1000 10000 30000)

For each shape of ``capture_shapes.py`` (``flat``: NICs on 255 buses per
domain and no bridges; ``deep``: NICs under chains of four switches) and each
size, writes the capture and runs, each in a fresh process,
``dmabuf-lab topology --from-lspci CAPTURE`` and
``dmabuf-lab ask --topology CAPTURE --exporter vfio-pci --importer rdma``
(every revision).  Prints wall seconds and peak resident memory per run,
then the log-log slope of time against functions between consecutive sizes
(1.0 = linear, 2.0 = quadratic).  Goals at 30,000 functions: topology under
10 s, ask under 30 s, peak memory under 1 GiB, slope at most 1.1.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_shapes import SHAPES, count_functions  # noqa: E402


def measure(argv: list[str]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds (user + system), peak RSS in bytes, exit status) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(f"  {' '.join(argv[3:5])}: exit {code}: {err.strip()[-300:]}", file=sys.stderr)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code


def slope(rows, col: int) -> list[str]:
    out = []
    for a, b in zip(rows, rows[1:]):
        if a[col] > 0 and b[col] > 0:
            out.append(f"{math.log(b[col] / a[col]) / math.log(b[1] / a[1]):.2f}")
    return out


def main(sizes: list[int]) -> int:
    lab = [sys.executable, "-m", "dmabuf_lab.cli"]
    failed = False
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'shape':5} {'functions':>9} {'capture':>8} {'topology s':>10} {'cpu s':>6} {'MiB':>5} "
          f"{'ask s':>7} {'cpu s':>6} {'MiB':>5}")
    for shape, make in SHAPES.items():
        rows = []
        with tempfile.TemporaryDirectory(prefix="dmabuf-lab-scale-") as tmp:
            for n in sizes:
                capture = Path(tmp) / f"lspci-{shape}-{n}.txt"
                text = make(n)
                capture.write_text(text)
                t1, c1, m1, rc1 = measure(lab + ["topology", "--from-lspci", str(capture)])
                t2, c2, m2, rc2 = measure(lab + ["ask", "--topology", str(capture), "--exporter", "vfio-pci",
                                                 "--importer", "rdma"])
                failed |= bool(rc1 or rc2)
                rows.append((shape, count_functions(text), capture.stat().st_size, t1, c1, m1, t2, c2, m2))
                flag = "  (failed)" if rc1 or rc2 else ""
                print(f"{shape:5} {rows[-1][1]:>9} {rows[-1][2] / 2**20:>6.1f}MB {t1:>10.2f} {c1:>6.2f} "
                      f"{m1 / 2**20:>5.0f} {t2:>7.2f} {c2:>6.2f} {m2 / 2**20:>5.0f}{flag}", flush=True)
        print(f"{shape:5} slope (wall) topology {' '.join(slope(rows, 3))}, ask {' '.join(slope(rows, 6))}; "
              f"(cpu) topology {' '.join(slope(rows, 4))}, ask {' '.join(slope(rows, 7))}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [1000, 10000, 30000]))
