"""struct completion and struct kref (kernel/sched/completion.c, include/linux/kref.h).

``wait_for_completion()`` blocks until ``complete()`` has been called more
often than earlier waits consumed; ``kref_put()`` calls the release function
when the count drops to zero.  The count behaves as refcount_t does
(include/linux/refcount.h): a get on zero ("addition on 0"), a put on zero
or below ("underflow") and a get on a saturated count WARN and pin the
count at ``REFCOUNT_SATURATED``, where it stays; a saturated object is
never released, so a waiter for its release waits for ever.  In a single-thread run a wait that nothing
can complete any more is a ``lock`` finding ("would never return"); in a
concurrent run it blocks, and the explorer reports a run where nothing can
wake it as a deadlock.
"""
from __future__ import annotations

from typing import Callable, Optional

from dmabuf_lab.twins import mirrors

from .runtime import current_kernel
from .sched import current_scheduler

#: include/linux/refcount.h: where a refcount_t is pinned after a misuse (INT_MIN / 2).
REFCOUNT_SATURATED = -(1 << 30)
_REFCOUNT_H = "torvalds/linux@00247cbf173a:include/linux/refcount.h"


class completion:
    """``done`` counts complete() calls not yet consumed by a waiter."""

    def __init__(self, name: str = "completion"):
        self.name = name
        self.done = 0

    def __repr__(self):
        return f"completion({self.name!r})"


def init_completion(c: completion) -> None:
    c.done = 0


def reinit_completion(c: completion) -> None:
    """Forget earlier complete() calls (a write other threads may race with)."""
    s = current_scheduler()
    if s is not None:
        k = s.key(c, "completion")
        s.point("write", k, True, f"reinit_completion({s.name_of(k)})")
    c.done = 0


def complete(c: completion) -> None:
    """Wake one waiter (or let the next wait return at once)."""
    s = current_scheduler()
    if s is not None:
        k = s.key(c, "completion")
        s.point("signal", k, True, f"complete({s.name_of(k)})")
    c.done += 1


def wait_for_completion(c: completion, *, waits_for: Optional[Callable] = None) -> None:
    """Block, uninterruptibly and without a timeout, until ``c`` is completed."""
    s = current_scheduler()
    if s is not None and s.current() is not None:
        k = s.key(c, "completion")
        s.point("wait", k, True, f"wait_for_completion({s.name_of(k)})", ready=lambda: c.done > 0,
                waits_for=waits_for)
    elif c.done == 0:
        current_kernel().record("lock", f"wait_for_completion({c!r}) would never return: "
                                        "nothing is left to complete it")
        return
    c.done -= 1


class kref:
    def __init__(self, name: str = "kref"):
        self.name = name
        self.refcount = 0

    def __repr__(self):
        return f"kref({self.name!r}={self.refcount})"


def _kref_point(r: kref, what: str) -> None:
    s = current_scheduler()
    if s is not None:
        k = s.key(r, "kref")
        s.point("write", k, True, f"{what}({s.name_of(k)})")


def kref_init(r: kref) -> None:
    _kref_point(r, "kref_init")
    r.refcount = 1


def _refcount_saturate(r: kref, what: str) -> None:
    """refcount_warn_saturate(): WARN and pin the count where no put can release it."""
    current_kernel().record("warn", f"refcount_t: {what} ({r!r})")
    r.refcount = REFCOUNT_SATURATED


@mirrors(f"{_REFCOUNT_H}:__refcount_add")
def kref_get(r: kref) -> None:
    """refcount_inc(): a get on zero is a use after free, one on a negative count an overflow."""
    _kref_point(r, "kref_get")
    old = r.refcount
    if old == 0:
        _refcount_saturate(r, "addition on 0; use-after-free")
    elif old < 0:
        _refcount_saturate(r, "saturated; leaking memory")
    else:
        r.refcount = old + 1


@mirrors(f"{_REFCOUNT_H}:__refcount_sub_and_test")
def kref_put(r: kref, release: Callable[[kref], None]) -> int:
    """Drop one reference; 1 when this put released the object.

    A put on a count of zero or below WARNs, saturates and releases nothing."""
    _kref_point(r, "kref_put")
    old = r.refcount
    if old == 1:
        r.refcount = 0
        release(r)
        return 1
    if old <= 0:
        _refcount_saturate(r, "underflow; use-after-free")
        return 0
    r.refcount = old - 1
    return 0
