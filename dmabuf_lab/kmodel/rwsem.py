"""A read-write semaphore (include/linux/rwsem.h), such as vfio-pci's
``memory_lock``: down_write/up_write, down_read/up_read and
lockdep_assert_held_write().

Single-thread runs record taking a semaphore the running path already holds
for write as a ``lock`` finding (it would never return); concurrent runs
block until the semaphore is free and let other threads run at each take and
drop.
"""
from __future__ import annotations

from .lockdep import lock_acquire, lock_release
from .runtime import current_kernel
from .sched import current_scheduler


class rw_semaphore:
    """``writer`` is the holding thread (or True in a single-thread run); ``readers`` counts readers."""

    def __init__(self, name: str = "rwsem"):
        self.name = name
        self.writer = None
        self.readers: list = []

    def __repr__(self):
        return f"rw_semaphore({self.name!r})"


def init_rwsem(sem: rw_semaphore) -> None:
    sem.writer, sem.readers = None, []


def _me():
    s = current_scheduler()
    t = s.current() if s is not None else None
    return s, t


def down_write(sem: rw_semaphore) -> None:
    """Take ``sem`` for write; blocks while anyone holds it."""
    s, t = _me()
    if t is not None:
        if sem.writer is t:
            current_kernel().record("lock", f"recursive down_write({sem!r}) (deadlock)")
            return
        k = s.key(sem, sem.name)
        s.point("lock", k, True, f"down_write({sem.name})",
                ready=lambda: sem.writer is None and not sem.readers,
                waits_for=lambda: [x.tid for x in ([sem.writer] if sem.writer is not None else [])
                                   + sem.readers if hasattr(x, "tid")])
        sem.writer = t
        s.note_acquire(k)
        lock_acquire(sem)
        return
    if sem.writer is not None or sem.readers:
        current_kernel().record("lock", f"down_write({sem!r}) while it is held (deadlock)")
        return
    sem.writer = True
    lock_acquire(sem)


def up_write(sem: rw_semaphore) -> None:
    """Drop the write hold; dropping a semaphore not held for write is a ``lock`` finding."""
    s, t = _me()
    if t is not None and sem.writer is t:
        k = s.key(sem, sem.name)
        s.point("unlock", k, True, f"up_write({sem.name})")
        s.note_release(k)
    if sem.writer is None:
        current_kernel().record("lock", f"up_write({sem!r}) of a semaphore not held for write")
        return
    sem.writer = None
    lock_release(sem)


def down_read(sem: rw_semaphore) -> None:
    """Take ``sem`` for read; blocks while a writer holds it."""
    s, t = _me()
    if t is not None:
        k = s.key(sem, sem.name)
        s.point("lock", k, True, f"down_read({sem.name})", ready=lambda: sem.writer is None,
                waits_for=lambda: [sem.writer.tid] if hasattr(sem.writer, "tid") else [])
        s.note_acquire(k)
    elif sem.writer is not None:
        current_kernel().record("lock", f"down_read({sem!r}) while it is held for write (deadlock)")
        return
    sem.readers.append(t if t is not None else True)
    lock_acquire(sem)


def up_read(sem: rw_semaphore) -> None:
    s, t = _me()
    who = t if t is not None else True
    if t is not None:
        k = s.key(sem, sem.name)
        s.point("unlock", k, True, f"up_read({sem.name})")
        s.note_release(k)
    if who in sem.readers:
        sem.readers.remove(who)
        lock_release(sem)
    else:
        current_kernel().record("lock", f"up_read({sem!r}) of a semaphore not held for read")


def lockdep_assert_held_write(sem: rw_semaphore) -> None:
    """A ``lock`` finding unless the running path holds ``sem`` for write."""
    s, t = _me()
    if sem.writer is None or (t is not None and sem.writer is not t):
        current_kernel().record("lock", f"lockdep_assert_held_write({sem!r}) failed")
