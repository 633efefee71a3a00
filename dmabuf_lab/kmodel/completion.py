"""struct completion and struct kref (kernel/sched/completion.c, include/linux/kref.h).

``wait_for_completion()`` blocks until ``complete()`` has been called more
often than earlier waits consumed; ``kref_put()`` calls the release function
when the count drops to zero and WARNs on an underflow ("refcount_t:
underflow"), as refcount_t does.  In a single-thread run a wait that nothing
can complete any more is a ``lock`` finding ("would never return"); in a
concurrent run it blocks, and the explorer reports a run where nothing can
wake it as a deadlock.
"""
from __future__ import annotations

from typing import Callable, Optional

from .runtime import current_kernel
from .sched import current_scheduler


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


def kref_get(r: kref) -> None:
    _kref_point(r, "kref_get")
    if r.refcount == 0:
        current_kernel().record("warn", f"refcount_t: addition on 0; use-after-free ({r!r})")
    r.refcount += 1


def kref_put(r: kref, release: Callable[[kref], None]) -> int:
    """Drop one reference; 1 when this put released the object."""
    _kref_point(r, "kref_put")
    if r.refcount <= 0:
        current_kernel().record("warn", f"refcount_t: underflow; use-after-free ({r!r})")
        return 0
    r.refcount -= 1
    if r.refcount == 0:
        release(r)
        return 1
    return 0
