"""``__iommu_map`` (drivers/iommu/iommu.c) in bulk: ``iommu_map_split`` for millions of ranges.

For every range ``(iova, paddr, size)`` the loop repeats ``iommu_pgsize()``
until the range is covered and records each step as one chunk ``(range
index, iova, paddr, pgsize, count)`` -- what the driver's ``map_pages()``
callback would be called with.  A range whose ``iova``, ``paddr`` or
``size`` is not aligned to the smallest supported page fails like
``__iommu_map`` with ``-EINVAL`` and emits nothing.

``reference`` (numpy, and the Python port), ``cpu`` (numba) and ``cuda``
(numba.cuda) compute the same result; ``device`` holds the per-range bodies
the two compiled backends share.
"""
from __future__ import annotations

import numpy as np

from .. import backends
from .reference import iommu_map_split_python
from .result import SplitResult

__all__ = ["SplitResult", "iommu_map_split", "iommu_map_split_python", "check_bitmap"]


def check_bitmap(pgsize_bitmap: int) -> int:
    """The bitmap as an int, or a clear error when it is not a non-zero 64-bit mask."""
    pgsize_bitmap = int(pgsize_bitmap)
    if pgsize_bitmap <= 0 or pgsize_bitmap >= 1 << 64:
        raise ValueError(f"pgsize_bitmap must be a non-zero 64-bit mask, got {pgsize_bitmap:#x}")
    return pgsize_bitmap


def _as_u64(a, name):
    if backends.is_device_array(a):
        return a
    arr = np.ascontiguousarray(a, dtype=np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr


def iommu_map_split(iova, paddr, size, pgsize_bitmap: int, backend: str = "auto", workspace=None,
                    one_pass: bool | None = None) -> SplitResult:
    """Split every range into ``(pgsize, count)`` chunks exactly as ``__iommu_map`` would.

    ``iova``, ``paddr``, ``size``: equal-length uint64 arrays (CuPy arrays
    with ``backend="cuda"`` stay on the device).  Returns a
    :class:`SplitResult` whose chunks are grouped by range, in range order.
    ``workspace``: a :class:`backends.Workspace` the numba backend writes into.
    ``one_pass`` (numba): force the two-thread one-pass kernel (True) or
    count -> emit (False); by default the first where numba runs two threads.
    """
    pgsize_bitmap = check_bitmap(pgsize_bitmap)
    be = backends.resolve(backend)
    iova, paddr, size = _as_u64(iova, "iova"), _as_u64(paddr, "paddr"), _as_u64(size, "size")
    if not (iova.shape == paddr.shape == size.shape):
        raise ValueError("iova, paddr and size must have the same length")
    if be != "cuda" and any(backends.is_device_array(a) for a in (iova, paddr, size)):
        iova, paddr, size = (np.ascontiguousarray(backends.to_host(a)) for a in (iova, paddr, size))
    if be == "numba":
        from . import cpu
        return cpu.split(iova, paddr, size, pgsize_bitmap, workspace, one_pass)
    if be == "cuda":
        from . import cuda
        return cuda.split(iova, paddr, size, pgsize_bitmap)
    from . import reference
    return reference.split(iova, paddr, size, pgsize_bitmap)
