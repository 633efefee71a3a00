"""struct mutex (kernel/locking/mutex.c): mutex_lock / mutex_unlock / mutex_destroy.

Taking a mutex the running path holds is a ``lock`` finding (self-deadlock);
in a concurrent run taking one another thread holds blocks until it is
dropped, and each take and drop is a point where another thread may run.
Every take and drop is also noted for the class-order check
(:mod:`.lockdep`).  ``mutex_destroy()`` ends the mutex's life: taking or
dropping it afterwards is a ``use-after-free`` finding (what
CONFIG_DEBUG_MUTEXES catches through the poisoned magic).
"""
from __future__ import annotations

from .lockdep import lock_acquire, lock_release
from .runtime import call_site, current_kernel
from .sched import current_scheduler


class mutex:
    """``owner``: the holding model thread (True in a single-thread run), or None."""

    def __init__(self, name: str = "mutex"):
        self.name = name
        self.owner = None
        self.destroyed_at = None     # where mutex_destroy() ran, once it has

    def __repr__(self):
        return f"mutex({self.name!r})"


def _check_alive(m: mutex, what: str) -> None:
    if m.destroyed_at is not None:
        current_kernel().record("use-after-free", f"{what}({m!r}) after mutex_destroy() at {m.destroyed_at}")


def mutex_destroy(m: mutex) -> None:
    """End the mutex's life; destroying a locked mutex is a ``warn`` finding."""
    s = current_scheduler()
    if s is not None and s.current() is not None:
        k = s.key(m, m.name)
        s.point("write", k, True, f"mutex_destroy({m.name})")
    if m.owner is not None:
        current_kernel().record("warn", f"mutex_destroy({m!r}) while it is locked (DEBUG_LOCKS_WARN_ON)")
    m.destroyed_at = call_site()


def mutex_lock(m: mutex) -> None:
    _check_alive(m, "mutex_lock")
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
    lock_acquire(m)


def mutex_unlock(m: mutex) -> None:
    _check_alive(m, "mutex_unlock")
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
    lock_release(m)


def mutex_lockdep_assert_held(m: mutex) -> None:
    """lockdep_assert_held(&mutex): a ``lock`` finding unless the running path holds ``m``."""
    s = current_scheduler()
    t = s.current() if s is not None else None
    me = t if t is not None else True
    if m.owner is not me:
        current_kernel().record("lock", f"lockdep_assert_held({m!r}) failed: "
                                        f"{'not held' if m.owner is None else 'held by another thread'}")
