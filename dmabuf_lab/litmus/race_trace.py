"""An interleaving as columns, one per thread, one row per transition.

Each row shows, in the column of the thread that ran, the kernel function
and the action it announced (``vfio_pci_dma_buf_move: dma_resv_lock(dma_resv#1)``).
:func:`trace_rows` gives the same as data for the notebook to draw.
"""
from __future__ import annotations


def trace_rows(ex) -> list[dict]:
    """``[{"step", "thread", "tid", "function", "action"}]`` of an Execution."""
    names = ex.thread_names
    return [{"step": i, "tid": tid, "thread": names[tid] if tid < len(names) else str(tid),
             "function": op.func, "action": op.label}
            for i, (tid, op) in enumerate(ex.trace)]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "~"


def format_trace(ex, width: int = 100) -> str:
    """The interleaving as text columns (cells cut to fit ``width``)."""
    names = ex.thread_names
    n = max(1, len(names))
    col = max(16, (width - 6) // n - 2)
    head = "  #   " + "  ".join(_cut(x, col).ljust(col) for x in names)
    lines = [head.rstrip(), "  " + "-" * (len(head) - 2)]
    for i, (tid, op) in enumerate(ex.trace):
        cells = [""] * n
        cells[tid] = _cut(f"{op.func}: {op.label}", col)
        lines.append((f"  {i:<3} " + "  ".join(c.ljust(col) for c in cells)).rstrip())
    return "\n".join(lines)


__all__ = ["trace_rows", "format_trace"]
