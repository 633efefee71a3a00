"""Object life-cycle tracking, after the kernel's debugobjects (lib/debugobjects.c).

Zeroed storage reads as valid memory, so the allocator's uninitialised-read
check cannot tell an object whose constructor never ran from a live one.
This module can: a constructor calls :func:`debug_object_init` once the
object is set up, a destructor :func:`debug_object_free`, and code that
needs a working object calls :func:`debug_object_assert_init`.  Asserting
an object that was never initialised records an ``uninitialised`` finding
(the lab's name for ODEBUG's "assert_init not available"); asserting one
already destroyed records ``use-after-free``.  The state lives beside the
object, keyed by identity, in the current run.
"""
from __future__ import annotations

from .runtime import current_kernel

_INIT, _FREED = "init", "freed"


def _states(k) -> dict:
    st = getattr(k, "_debugobjects", None)
    if st is None:
        st = {}
        k._debugobjects = st
    return st


def debug_object_init(obj, descr: str) -> None:
    """``obj`` (of type ``descr``) is now a working object."""
    _states(current_kernel())[id(obj)] = (obj, descr, _INIT)


def debug_object_free(obj, descr: str) -> None:
    """``obj`` is being destroyed; freeing one never initialised is allowed (raw storage)."""
    st = _states(current_kernel())
    if id(obj) in st:
        st[id(obj)] = (obj, descr, _FREED)


def debug_object_state(obj) -> str | None:
    """``"init"``, ``"freed"`` or None (never initialised in this run)."""
    entry = _states(current_kernel()).get(id(obj))
    return None if entry is None or entry[0] is not obj else entry[2]


def debug_object_assert_init(obj, descr: str) -> bool:
    """True when ``obj`` is a working object; otherwise record why not and return False."""
    state = debug_object_state(obj)
    if state == _INIT:
        return True
    k = current_kernel()
    if state == _FREED:
        k.record("use-after-free", f"ODEBUG: {descr} used after its destructor ran")
    else:
        k.record("uninitialised", f"ODEBUG: {descr} used before its constructor ran "
                                  "(zeroed or raw storage, not a set-up object)")
    return False
