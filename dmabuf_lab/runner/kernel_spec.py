"""A Jupyter kernel spec that runs notebooks with this very Python.

A fresh virtual environment may have no usable ``python3`` kernel, or one
that resolves ``python`` on PATH to another interpreter.  The runner writes
its own spec under ``build/.jupyter`` and points ``JUPYTER_PATH`` at it, so
notebooks always execute with ``sys.executable``; the kernels' IPython and
Jupyter folders are set under ``build/.state`` (see ``run_notebooks``), so
nothing outside ``build/`` is touched.  Kernels talk over loopback TCP.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from dmabuf_lab.paths import atomic_write_text

KERNEL_NAME = "dmabuf-lab"


def install_kernel_spec(build: Path) -> Path:
    """Write ``build/.jupyter/kernels/dmabuf-lab/kernel.json``; return the JUPYTER_PATH entry."""
    root = Path(build) / ".jupyter"
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (dmabuf-lab)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    target = root / "kernels" / KERNEL_NAME / "kernel.json"
    text = json.dumps(spec, indent=1) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    return root
