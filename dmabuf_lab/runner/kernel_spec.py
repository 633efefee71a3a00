"""The Jupyter kernel every notebook names, and the runner's copy of it.

Every notebook's header names ``python3``: the kernel ipykernel installs
into the virtual environment that ``lab.py setup`` creates, so JupyterLab
started from that environment opens each notebook with the interpreter that
has the lab installed.  The runner does not trust whatever ``python3`` spec a
machine may have elsewhere: it writes a ``python3`` spec of its own under
``build/.jupyter`` (pointing at ``sys.executable``) and puts that first on
``JUPYTER_PATH``, so a run always uses the Python it runs under and nothing
outside ``build/`` is touched (the kernels' IPython and Jupyter folders are set
under ``build/.state`` by ``run_notebooks``).  Kernels talk over loopback TCP.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from dmabuf_lab.paths import atomic_write_text

KERNEL_NAME = "python3"
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"


def install_kernel_spec(build: Path) -> Path:
    """Write ``build/.jupyter/kernels/python3/kernel.json``; return the JUPYTER_PATH entry."""
    root = Path(build) / ".jupyter"
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": False},
    }
    target = root / "kernels" / KERNEL_NAME / "kernel.json"
    text = json.dumps(spec, indent=1) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    return root
