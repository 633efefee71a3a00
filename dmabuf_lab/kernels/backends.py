"""Backend choice for the bulk kernels.

``"reference"`` is the short numpy version every other backend is tested
against, ``"numba"`` the parallel CPU version, ``"cuda"`` numba.cuda kernels
(over CuPy arrays on a real GPU, over numpy arrays in the CUDA simulator),
``"auto"`` the fastest one this machine can really run.

A GPU counts as usable only when a CUDA driver answers: CuPy imports fine on
a machine without one, so ``cupy.cuda.is_available()`` and
``numba.cuda.is_available()`` decide.  With ``NUMBA_ENABLE_CUDASIM=1`` the
``cuda`` backend runs on the simulator (correct, slow) and ``auto`` does not
pick it.
"""
from __future__ import annotations

import os

# numba's OpenMP threading layer (libgomp here) lets idle workers spin for
# 300,000 iterations before sleeping.  On this loaded 2-core VM the spinners
# hold the CPUs the master and other processes need: parallel kernels took
# 12-16 ms per call even for 1000 ranges.  Alternatives, 1000 ranges of
# translate (count -> emit: two parallel regions), loadavg 2-3.5 from other
# work on the VM, median per call over several runs:
#   passive (sleep at once)   50-180 us, slowest tenth <= 250 us
#   GOMP_SPINCOUNT=20000      30-40 us, but slowest tenth 1-2 ms, and the
#                             best of 200 calls 1.5 ms in one benchmark run
# Passive pays a futex wake-up per parallel region (at 10^6 ranges the SR-IOV
# count -> emit path runs at ~4 ns/range instead of ~2.2 because the worker
# wakes late for the second region; at 10^7 it is amortised), but it never
# stalls, and a shared machine is the usual case here, so it is the default.
# libgomp reads the policy once, when numba first starts its thread pool, so
# it is set here, before any kernel module runs a parallel kernel; values the
# user exported (OMP_WAIT_POLICY, GOMP_SPINCOUNT) win.
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "passive"

BACKENDS = ("reference", "numba", "cuda")


class BackendUnavailable(RuntimeError):
    """The requested backend cannot run on this machine (message says why)."""


def cuda_simulated() -> bool:
    """True when numba runs CUDA kernels on its simulator."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def numba_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("numba") is not None


def cupy_module():
    """CuPy when it imports *and* sees a device, else None."""
    try:
        import cupy
    except Exception:
        return None
    try:
        return cupy if cupy.cuda.is_available() else None
    except Exception:
        return None


def gpu_usable() -> tuple[bool, str]:
    """(usable, reason) for a real GPU behind the ``cuda`` backend."""
    if cuda_simulated():
        return False, "NUMBA_ENABLE_CUDASIM=1: kernels run on the CUDA simulator, not a GPU"
    if not numba_available():
        return False, "numba is not installed"
    try:
        from numba import cuda
        if not cuda.is_available():
            return False, "numba.cuda.is_available() is False (no CUDA driver or device)"
    except Exception as exc:  # a broken CUDA install must not break the CPU paths
        return False, f"numba.cuda failed to initialise: {exc}"
    return True, "CUDA device present"


def cuda_runnable() -> tuple[bool, str]:
    """(runnable, reason) for the ``cuda`` backend: a real GPU or the simulator."""
    if cuda_simulated():
        return (numba_available(), "CUDA simulator")
    return gpu_usable()


def available_backends() -> list[str]:
    out = ["reference"]
    if numba_available():
        out.append("numba")
    if cuda_runnable()[0]:
        out.append("cuda")
    return out


def resolve(backend: str) -> str:
    """Map a backend name (or ``"auto"``) to one that can run here."""
    if backend == "auto":
        if gpu_usable()[0]:
            return "cuda"
        return "numba" if numba_available() else "reference"
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)} or 'auto'")
    if backend == "numba" and not numba_available():
        raise BackendUnavailable("backend 'numba' needs the numba package")
    if backend == "cuda":
        ok, why = cuda_runnable()
        if not ok:
            raise BackendUnavailable(f"backend 'cuda' cannot run here: {why}")
    return backend


def is_device_array(a) -> bool:
    """True for CuPy / numba device arrays (anything exposing __cuda_array_interface__)."""
    return hasattr(a, "__cuda_array_interface__")


def to_host(a):
    """numpy copy of a device array (identity for numpy)."""
    if hasattr(a, "get"):
        return a.get()
    if hasattr(a, "copy_to_host"):
        return a.copy_to_host()
    return a


def cuda_launch_shape(n: int, threads: int = 256) -> tuple[int, int]:
    """(blocks, threads) covering ``n`` items, at least one block."""
    return max(1, (n + threads - 1) // threads), threads


class Workspace:
    """Reusable output buffers for repeated calls of the same kernel.

    Passing ``workspace=Workspace()`` to a bulk kernel makes it write into
    buffers kept from the previous call (grown when too small) instead of
    fresh arrays: the returned arrays are *views* into the workspace and are
    overwritten by the next call that uses it.  Fresh multi-megabyte arrays
    cost page faults on every call; the benchmark reports kernel time with a
    warm workspace, like the roofline copy into a warm destination.
    """

    def __init__(self):
        self._bufs = {}

    def empty(self, key: str, n: int, dtype):
        import numpy as np
        dtype = np.dtype(dtype)
        b = self._bufs.get(key)
        if b is None or b.dtype != dtype or b.shape[0] < n:
            b = np.empty(max(int(n), 1), dtype=dtype)
            self._bufs[key] = b
        return b[:n]


def empty(workspace, key: str, n: int, dtype):
    """``np.empty`` or a workspace view."""
    import numpy as np
    if workspace is None:
        return np.empty(n, dtype=dtype)
    return workspace.empty(key, n, dtype)


def empty2(workspace, key: str, shape: tuple, dtype):
    """A 2-D scratch array (from the workspace when one is given)."""
    import numpy as np
    if workspace is None:
        return np.empty(shape, dtype=dtype)
    flat = workspace.empty(key, shape[0] * shape[1], dtype)
    return flat.reshape(shape)
