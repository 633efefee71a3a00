"""System RAM: the host's "System RAM" ranges (``/proc/iomem``) and ``page_is_ram()``."""
from __future__ import annotations

import bisect

from dmabuf_lab.addr.consts import PAGE_SHIFT
from dmabuf_lab.errors import TopologyError



class SystemRam:
    """Sorted, non-overlapping ``(start, length)`` ranges of system RAM."""

    def __init__(self, ranges):
        rs = sorted((int(s), int(n)) for s, n in ranges)
        for i, (s, n) in enumerate(rs):
            if n <= 0:
                raise TopologyError(f"RAM range {i} at {s:#x} has length {n}; expected > 0",
                                    field=f"ram[{i}].length")
            if i and rs[i - 1][0] + rs[i - 1][1] > s:
                raise TopologyError(f"RAM range at {s:#x} overlaps the one at {rs[i - 1][0]:#x}",
                                    field=f"ram[{i}].start")
        self.ranges = rs
        self._starts = [s for s, _ in rs]

    @property
    def total(self) -> int:
        """Bytes of RAM."""
        return sum(n for _, n in self.ranges)

    def contains(self, addr: int, length: int = 1) -> bool:
        """True when ``[addr, addr+length)`` lies inside one RAM range."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return False
        s, n = self.ranges[i]
        return addr + length <= s + n

    def overlaps(self, addr: int, length: int) -> bool:
        """True when any byte of ``[addr, addr+length)`` is RAM."""
        return any(s < addr + length and addr < s + n for s, n in self.ranges)

    def __iter__(self):
        """Iterate ``(start, length)`` ranges."""
        return iter(self.ranges)


def page_is_ram(topology_or_ram, pfn: int) -> bool:
    """True when page frame ``pfn`` is system RAM (``page_is_ram()``)."""
    ram = getattr(topology_or_ram, "ram", topology_or_ram)
    if ram is None:
        return False
    return ram.contains(int(pfn) << PAGE_SHIFT, 1 << PAGE_SHIFT)
