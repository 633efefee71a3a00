"""The cuda backend under NUMBA_ENABLE_CUDASIM=1, in a fresh interpreter.

The simulator must be chosen before numba.cuda is first imported, so the
checks run in a subprocess with the variable set (cuda_sim_check.py).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.mark.slow
def test_cuda_backend_on_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(HERE / "cuda_sim_check.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "ALL OK" in proc.stdout
