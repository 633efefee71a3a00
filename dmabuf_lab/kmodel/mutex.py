"""struct mutex (kernel/locking/mutex.c): mutex_lock / mutex_unlock / lockdep_assert_held.

Taking a mutex the running path holds is a ``lock`` finding (self-deadlock);
in a concurrent run taking one another thread holds blocks until it is
dropped, and each take and drop is a point where another thread may run.
"""
from __future__ import annotations

from .runtime import current_kernel
from .sched import current_scheduler


class mutex:
    """``owner``: the holding model thread (True in a single-thread run), or None."""

    def __init__(self, name: str = "mutex"):
        self.name = name
        self.owner = None

    def __repr__(self):
        return f"mutex({self.name!r})"


def mutex_lock(m: mutex) -> None:
    s = current_scheduler()
    t = s.current() if s is not None else None
    me = t if t is not None else True
    if m.owner is me:
        current_kernel().record("lock", f"recursive mutex_lock({m!r}) (deadlock)")
        return
    if t is not None:
        k = s.key(m, m.name)
        s.point("lock", k, True, f"mutex_lock({m.name})", ready=lambda: m.owner is None,
                waits_for=lambda: [m.owner.tid] if hasattr(m.owner, "tid") else [])
        s.note_acquire(k)
    elif m.owner is not None:
        current_kernel().record("lock", f"mutex_lock({m!r}) while it is held (deadlock)")
        return
    m.owner = me


def mutex_unlock(m: mutex) -> None:
    s = current_scheduler()
    t = s.current() if s is not None else None
    if t is not None and m.owner is t:
        k = s.key(m, m.name)
        s.point("unlock", k, True, f"mutex_unlock({m.name})")
        s.note_release(k)
    if m.owner is None:
        current_kernel().record("lock", f"mutex_unlock({m!r}) of a mutex that is not held")
        return
    m.owner = None
