"""BAR -> DPA range translation for an SR-IOV PF importing its VFs' VRAM.

The PF sees a VF's VRAM through the VF's LMEM BAR; to program its own page
tables it needs device physical addresses (DPA).  The VF's LMEM object is a
list of 2 MiB-aligned VRAM blocks that need not be contiguous.

Two behaviours, side by side:

``mode="rfc"`` -- as the RFC's ``xe_bo_translate_io_xarray_to_dpa()`` does it:
    the VF is found by ``xe_find_vf_dev()``'s test ``start <= phys <
    start + len - PAGE_SIZE`` (the last page of each VF BAR never matches),
    only each range's *start* goes through ``xe_bo_addr()``, and the length
    is encoded as ``get_order(len)`` (rounded up).  One output per range.
    (The RFC looks the VF up once, from a buffer's first range; here every
    range gets that lookup, so each range says whether it would survive it.)

``mode="correct"`` -- the whole range must lie inside one VF BAR window and
    inside the VF's LMEM quota, and it is split wherever it crosses a VRAM
    block boundary.  Zero or more output segments per range.

``reference`` (numpy, and the Python port), ``cpu`` (numba) and ``cuda``
(numba.cuda) compute the same result; ``device`` holds the per-range bodies
the two compiled backends share, ``topology`` the arrays they read.
"""
from __future__ import annotations

import numpy as np

from .. import backends
from .pagemap_addr import (DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, DRM_INTERCONNECT_DRIVER,
                           DRM_INTERCONNECT_SYSTEM, DRM_PAGEMAP_ADDR_DTYPE, drm_pagemap_addr_decode,
                           drm_pagemap_addr_encode)
from .reference import translate_python
from .result import Segments, TranslateResult
from .topology import TopologyRecord, TranslateTopology

U64 = np.uint64

__all__ = ["DMA_BIDIRECTIONAL", "DMA_FROM_DEVICE", "DMA_TO_DEVICE", "DRM_INTERCONNECT_DRIVER",
           "DRM_INTERCONNECT_SYSTEM", "DRM_PAGEMAP_ADDR_DTYPE", "Segments", "TopologyRecord", "TranslateResult",
           "TranslateTopology", "drm_pagemap_addr_decode", "drm_pagemap_addr_encode", "translate_bar_to_dpa",
           "translate_python"]


def translate_bar_to_dpa(starts, lengths, topo: TranslateTopology, mode: str = "correct",
                         lookup: str = "auto", backend: str = "auto", workspace=None,
                         one_pass: bool | None = None) -> TranslateResult:
    """Translate ranges of VF BAR addresses into VRAM DPA segments.

    ``mode``: ``"correct"`` or ``"rfc"`` (see the module text).  ``lookup``:
    ``"sriov"`` (arithmetic; needs an SR-IOV window layout), ``"windows"``
    (table or search over sorted windows) or ``"auto"`` (SR-IOV when the
    layout allows).  Inputs are uint64 arrays (CuPy arrays stay on the GPU
    with ``backend="cuda"``).  ``workspace``: a :class:`backends.Workspace` whose
    buffers the numba backend reuses (results are views, valid until its next use).
    ``one_pass``: numba only, correct mode.  ``None`` (default): on a machine
    with at most two numba threads, read the input once (two threads meeting
    in the middle of the output, no count pass); with more threads, count ->
    emit over all of them.  ``True``/``False`` force one or the other.
    """
    if mode not in ("correct", "rfc"):
        raise ValueError(f"mode must be 'correct' or 'rfc', got {mode!r}")
    if lookup == "auto":
        lookup = "sriov" if topo.sriov_count else "windows"
    if lookup not in ("sriov", "windows"):
        raise ValueError(f"lookup must be 'sriov', 'windows' or 'auto', got {lookup!r}")
    if lookup == "sriov" and not topo.sriov_count:
        raise ValueError("lookup='sriov' needs equal, back-to-back VF windows in VF order")
    be = backends.resolve(backend)
    if be != "cuda" or not backends.is_device_array(starts):
        starts = np.ascontiguousarray(backends.to_host(starts), dtype=U64)
        lengths = np.ascontiguousarray(backends.to_host(lengths), dtype=U64)
        if starts.shape != lengths.shape or starts.ndim != 1:
            raise ValueError("starts and lengths must be 1-D arrays of the same length")
    if be == "numba":
        from . import cpu
        stream = cpu.nt_flag(32 * starts.shape[0])  # status, VF and at least one 24-byte entry per range
        return cpu.translate(starts, lengths, topo.record(lookup, stream=stream), mode, workspace, one_pass)
    if be == "cuda":
        from . import cuda
        return cuda.translate(starts, lengths, topo, lookup, mode)
    from . import reference
    return reference.translate(starts, lengths, topo, mode)
