"""dma_fence and the fence side of dma_resv (drivers/dma-buf/dma-fence.c, dma-resv.c).

An importer that starts DMA on a buffer adds a fence to the buffer's
reservation object (``dma_resv_add_fence``, resv held) and signals it when
the DMA is done.  ``dma_resv_wait_timeout()`` waits for every unsignalled
fence up to a usage level (KERNEL < WRITE < READ < BOOKKEEP), as the
exporter does before it lets memory go.  The signalling thread is recorded
so a wait that cannot finish names who it waits for.
"""
from __future__ import annotations

from .resv import dma_resv, dma_resv_assert_held
from .runtime import current_kernel
from .sched import current_scheduler, current_tid

# enum dma_resv_usage
DMA_RESV_USAGE_KERNEL = 0
DMA_RESV_USAGE_WRITE = 1
DMA_RESV_USAGE_READ = 2
DMA_RESV_USAGE_BOOKKEEP = 3

MAX_SCHEDULE_TIMEOUT = (1 << 63) - 1


class dma_fence:
    """A fence: ``signaled`` once the work is done; ``signaller`` the thread that will signal it."""

    def __init__(self, name: str = "fence"):
        self.name = name
        self.signaled = False
        self.signaller = current_tid()
        self.resv = None
        self.usage = DMA_RESV_USAGE_BOOKKEEP

    def __repr__(self):
        return f"dma_fence({self.name!r}, {'signaled' if self.signaled else 'pending'})"


def _fences_key(s, resv: dma_resv):
    return s.key(resv.fences, "dma_resv_fences")


def dma_resv_add_fence(resv: dma_resv, fence: dma_fence, usage: int) -> None:
    """Add ``fence`` to ``resv`` (lock held)."""
    dma_resv_assert_held(resv)
    s = current_scheduler()
    if s is not None:
        k = _fences_key(s, resv)
        s.point("write", k, True, f"dma_resv_add_fence({s.name_of(s.key(resv))})")
    fence.resv, fence.usage = resv, usage
    resv.fences.append(fence)


def dma_fence_signal(fence: dma_fence) -> None:
    """Mark the work done; waiters on its reservation object may go on."""
    s = current_scheduler()
    if s is not None and fence.resv is not None:
        k = _fences_key(s, fence.resv)
        s.point("signal", k, True, f"dma_fence_signal({fence.name})")
    fence.signaled = True


def _pending(resv: dma_resv, usage: int) -> list:
    return [f for f in resv.fences if not f.signaled and f.usage <= usage]


def dma_resv_wait_timeout(resv: dma_resv, usage: int, intr: bool, timeout: int) -> int:
    """Wait until every fence of ``resv`` up to ``usage`` is signalled; returns ``timeout``
    (time left; the model never times out).  A single-thread run with fences still
    pending records a ``lock`` finding: no one is left to signal them."""
    s = current_scheduler()
    if s is not None and s.current() is not None:
        k = _fences_key(s, resv)
        s.point("wait", k, False, f"dma_resv_wait_timeout({s.name_of(s.key(resv))})",
                ready=lambda: not _pending(resv, usage),
                waits_for=lambda: sorted({f.signaller for f in _pending(resv, usage)
                                          if f.signaller is not None}))
    elif _pending(resv, usage):
        current_kernel().record("lock", f"dma_resv_wait_timeout({resv!r}) would never return: "
                                        f"{len(_pending(resv, usage))} fence(s) nobody will signal")
        return 0
    return timeout
