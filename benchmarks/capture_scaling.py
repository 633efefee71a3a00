"""How ``dmabuf-lab topology`` and ``dmabuf-lab litmus`` grow with the machine.

    .venv/bin/python benchmarks/capture_scaling.py [1000 10000 30000]

Generates an lspci capture of each size (``big_capture.py``), then runs, each
in a fresh process, ``dmabuf-lab topology --from-lspci CAPTURE`` and
``dmabuf-lab litmus`` on one scenario whose topology is that capture.  Prints
wall seconds and peak resident memory per run, and the log-log slope between
consecutive sizes (1.0 = linear, 2.0 = quadratic).
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
from big_capture import count_functions, generate  # noqa: E402

SCENARIO = '''question = "Does an RDMA NIC on a large SR-IOV host map a vfio-pci PF BAR under the same switch?"
topology = "{capture}"

[exporter]
driver = "vfio-pci"
device = "0000:03:00.0"
bar = 0
ranges = [[0x0, 0x200000]]

[importer]
driver = "rdma"
device = "0000:04:00.0"
dynamic = true

[expect]
mainline = "sgt-p2p"

[findings]
mainline = ["leak"]
'''


def measure(argv: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in bytes, exit status) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode:
        print(f"  {' '.join(argv[1:3])}: exit {proc.returncode}: {err.strip()[-300:]}", file=sys.stderr)
    return wall, usage.ru_maxrss * 1024, proc.returncode


def main(sizes: list[int]) -> int:
    lab = [sys.executable, "-m", "dmabuf_lab.cli"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="dmabuf-lab-scaling-") as tmp:
        for n in sizes:
            capture = Path(tmp) / f"lspci-{n}.txt"
            text = generate(n)
            capture.write_text(text)
            scenario = Path(tmp) / f"big-{n}.toml"
            scenario.write_text(SCENARIO.format(capture=capture))
            funcs = count_functions(text)
            t_topo, m_topo, rc1 = measure(lab + ["topology", "--from-lspci", str(capture)])
            t_lit, m_lit, rc2 = measure(lab + ["litmus", str(scenario)])
            rows.append((funcs, capture.stat().st_size, t_topo, m_topo, t_lit, m_lit, rc1 or rc2))
    print(f"{'functions':>9} {'capture':>9} {'topology s':>10} {'peak MiB':>8} {'litmus s':>9} {'peak MiB':>8}")
    for funcs, size, t1, m1, t2, m2, rc in rows:
        flag = "  (failed)" if rc else ""
        print(f"{funcs:>9} {size / 2**20:>7.1f}MB {t1:>10.2f} {m1 / 2**20:>8.0f} {t2:>9.2f} {m2 / 2**20:>8.0f}{flag}")
    for (f0, _, a0, _, b0, _, _), (f1, _, a1, _, b1, _, _) in zip(rows, rows[1:]):
        k = math.log(f1 / f0)
        print(f"growth {f0} -> {f1} functions: topology slope {math.log(a1 / a0) / k:.2f}, "
              f"litmus slope {math.log(b1 / b0) / k:.2f} (log time / log size)")
    return 1 if any(r[-1] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [1000, 10000, 30000]))
