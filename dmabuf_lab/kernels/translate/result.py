"""``TranslateResult``: per-range status and VF, and the DPA segments."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import backends
from ..getorder import get_order_bulk
from .pagemap_addr import DMA_BIDIRECTIONAL, DRM_INTERCONNECT_DRIVER, drm_pagemap_addr_encode


class Segments(NamedTuple):
    """The three output columns of correct mode, one record for the compiled kernels."""
    range_index: np.ndarray  # int64
    dpa: np.ndarray          # uint64
    length: np.ndarray       # uint64


@dataclass
class TranslateResult:
    """Per-range ``status`` (0 or -errno) and ``vf`` (-1 when none), plus
    segments ``(range_index, dpa, length)`` grouped by range in range order.

    In ``mode="rfc"`` there is exactly one entry per input range (``dpa`` is
    0 where ``status`` is not), ``length`` is the input array itself and
    ``order`` is ``get_order(length)``."""
    mode: str
    status: np.ndarray
    vf: np.ndarray
    range_index: np.ndarray
    dpa: np.ndarray
    length: np.ndarray
    order: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.range_index.shape[0])

    def encode(self, proto: int = DRM_INTERCONNECT_DRIVER, dir: int = DMA_BIDIRECTIONAL) -> np.ndarray:
        """``drm_pagemap_addr`` array for the segments (order = get_order(length))."""
        order = self.order if self.order is not None else get_order_bulk(backends.to_host(self.length))
        return drm_pagemap_addr_encode(backends.to_host(self.dpa), proto, backends.to_host(order), dir)

    def to_host(self) -> "TranslateResult":
        return TranslateResult(self.mode, *(backends.to_host(getattr(self, f)) for f in
                                            ("status", "vf", "range_index", "dpa", "length")),
                               None if self.order is None else backends.to_host(self.order))
