"""``SplitResult``: the chunks ``map_pages()`` would be called with, per range."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import backends


class SplitChunks(NamedTuple):
    """The five output columns, one typed record for the compiled kernels."""
    range_index: np.ndarray  # int64
    iova: np.ndarray         # uint64
    paddr: np.ndarray        # uint64
    pgsize: np.ndarray       # uint64
    count: np.ndarray        # uint64


COLUMNS = (("range_index", np.int64), ("iova", np.uint64), ("paddr", np.uint64), ("pgsize", np.uint64),
           ("count", np.uint64))


@dataclass
class SplitResult:
    """Chunks in range order; ``status[i]`` is 0 or ``-EINVAL`` per input range."""
    range_index: np.ndarray  # int64
    iova: np.ndarray         # uint64
    paddr: np.ndarray        # uint64
    pgsize: np.ndarray       # uint64
    count: np.ndarray        # uint64
    status: np.ndarray       # int32

    @classmethod
    def of(cls, chunks: SplitChunks, status) -> "SplitResult":
        return cls(*chunks, status)

    @classmethod
    def empty(cls, status) -> "SplitResult":
        return cls(*(np.zeros(0, dtype=dt) for _, dt in COLUMNS), status)

    def __len__(self) -> int:
        return int(self.range_index.shape[0])

    def entries(self) -> int:
        """Leaf entries written: the sum of ``count``."""
        return int(backends.to_host(self.count).sum(dtype=np.uint64))

    def to_host(self) -> "SplitResult":
        return SplitResult(*(backends.to_host(getattr(self, f)) for f, _ in COLUMNS), backends.to_host(self.status))
