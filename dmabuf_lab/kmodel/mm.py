"""A process address space as the model needs it: ``struct mm_struct`` with
its ``mmap_lock`` (a read-write semaphore of the lockdep class
``&mm->mmap_lock``), mmgrab/mmdrop counting and ``current->mm``.

One user process per run: :func:`current_mm` gives the same mm to every
call in a run (a path that runs in another task's mm passes its own).
Addresses below ``TASK_SIZE_MAX`` are user addresses; anything else a model
passes as an address (a kernel pointer, an object) is not.
"""
from __future__ import annotations

from .rwsem import down_read, rw_semaphore, up_read
from .runtime import current_kernel

#: x86-64's highest user address plus one (4-level paging), the bound gup checks against
TASK_SIZE_MAX = (1 << 47) - 4096


class mm_struct:
    """An address space: its mmap_lock and the mmgrab() count."""

    def __init__(self, name: str = "mm"):
        self.name = name
        self.mmap_lock = rw_semaphore("&mm->mmap_lock")
        self.mm_count = 1

    def __repr__(self):
        return f"mm_struct({self.name!r})"


def current_mm() -> mm_struct:
    """``current->mm`` of the run's user process."""
    k = current_kernel()
    mm = getattr(k, "_current_mm", None)
    if mm is None:
        mm = mm_struct("current")
        k._current_mm = mm
    return mm


def mmgrab(mm: mm_struct) -> None:
    mm.mm_count += 1


def mmdrop(mm: mm_struct) -> None:
    """Drop an mmgrab() reference; below zero is a refcount ``warn``."""
    mm.mm_count -= 1
    if mm.mm_count < 0:
        current_kernel().record("warn", f"mmdrop({mm!r}): mm_count underflow")


def mmap_read_lock(mm: mm_struct) -> None:
    down_read(mm.mmap_lock)


def mmap_read_unlock(mm: mm_struct) -> None:
    up_read(mm.mmap_lock)


def is_user_address(addr) -> bool:
    """True for an int user address (below TASK_SIZE_MAX)."""
    return isinstance(addr, int) and not isinstance(addr, bool) and 0 <= addr < TASK_SIZE_MAX
