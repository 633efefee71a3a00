"""An interleaving as text, one row per transition.

Each row shows the step, the thread that ran and the kernel function with
the action it announced (``vfio_pci_dma_buf_move: dma_resv_lock(dma_resv#1)``),
wrapped rather than cut.  :func:`trace_rows` gives the same as data for the
notebook to draw.
"""
from __future__ import annotations


def trace_rows(ex) -> list[dict]:
    """``[{"step", "thread", "tid", "function", "action"}]`` of an Execution."""
    names = ex.thread_names
    return [{"step": i, "tid": tid, "thread": names[tid] if tid < len(names) else str(tid),
             "function": op.func, "action": op.label}
            for i, (tid, op) in enumerate(ex.trace)]


def rows_text(rows: list[dict], width: int = 100) -> str:
    """Rows of :func:`trace_rows` as text: step, thread, then ``function: action``, wrapped at
    spaces within ``width`` (kernel names are never cut; a name longer than the line
    stays whole)."""
    import textwrap

    tw = max([len("thread")] + [len(r["thread"]) for r in rows])
    lead = 2 + 4 + tw + 2
    lines = [f"  {'#':<4}{'thread':<{tw}}  function: action", "  " + "-" * (width - 2)]
    for r in rows:
        text = f"{r['function']}: {r['action']}"
        wrapped = textwrap.wrap(text, max(20, width - lead), break_on_hyphens=False,
                                break_long_words=False) or [""]
        lines.append(f"  {r['step']:<4}{r['thread']:<{tw}}  {wrapped[0]}")
        lines += [" " * lead + w for w in wrapped[1:]]
    return "\n".join(lines)


def format_trace(ex, width: int = 100) -> str:
    """The interleaving as text, one row per transition (see :func:`rows_text`)."""
    return rows_text(trace_rows(ex), width)


__all__ = ["trace_rows", "format_trace"]
