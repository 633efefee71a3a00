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


def chunk_bounds(n: int, per_thread: int = 16) -> "np.ndarray":
    """Split ``n`` items into contiguous chunks for the CPU count/emit passes."""
    import numba
    import numpy as np
    nchunks = max(1, min(n, numba.get_num_threads() * per_thread))
    return np.linspace(0, n, nchunks + 1).astype(np.int64)


class DeviceArrays:
    """Allocation and prefix sums on the device: CuPy on a GPU, numpy in the simulator."""

    def __init__(self, like_device: bool):
        import numpy as np
        self.cp = cupy_module() if not cuda_simulated() else None
        self.xp = self.cp if self.cp is not None else np
        self.on_device = like_device and self.cp is not None

    def put(self, a):
        return self.xp.asarray(a)

    def empty(self, n, dtype):
        return self.xp.empty(n, dtype=dtype)

    def zeros(self, n, dtype):
        return self.xp.zeros(n, dtype=dtype)

    def exclusive_scan(self, counts):
        offs = self.xp.zeros(counts.shape[0] + 1, dtype="int64")
        self.xp.cumsum(counts, out=offs[1:])
        return offs

    def out(self, a):
        """Return to the caller in the kind of array they passed in."""
        return a if self.on_device else to_host(a)
