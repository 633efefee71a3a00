"""What ``build_page_table`` returns: the summary and, optionally, every leaf entry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..pt_formats import TABLE_BYTES


class LeafColumns(NamedTuple):
    """The leaf entry columns, one record for the compiled kernels."""
    va: np.ndarray     # uint64
    pte: np.ndarray    # uint64
    level: np.ndarray  # int8


@dataclass
class PtLeaves:
    """Materialised leaf entries in VA order."""
    va: np.ndarray     # uint64, VA the entry maps
    pte: np.ndarray    # uint64, the entry's bits
    level: np.ndarray  # int8


@dataclass
class PageTableSummary:
    format: str
    leaf_pages: dict            # page size (bytes) -> pages of that size
    leaf_entries: list          # per level: entries written
    table_pages: list           # per level: table pages (level 0 first; the root is the last)
    status: np.ndarray          # per input range: 0, -EINVAL (misaligned) or -ERANGE (beyond VA width)
    leaves: PtLeaves | None = None

    @property
    def table_bytes(self) -> int:
        return int(sum(self.table_pages)) * TABLE_BYTES

    @property
    def total_leaf_entries(self) -> int:
        return int(sum(self.leaf_entries))

    def as_dict(self) -> dict:
        return {"format": self.format, "leaf_pages": {int(k): int(v) for k, v in sorted(self.leaf_pages.items())},
                "leaf_entries": [int(x) for x in self.leaf_entries],
                "table_pages": [int(x) for x in self.table_pages], "table_bytes": self.table_bytes}

    def same_as(self, other: "PageTableSummary") -> bool:
        return self.as_dict() == other.as_dict() and np.array_equal(self.status, other.status)
