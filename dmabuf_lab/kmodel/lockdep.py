"""Lock-class ordering, as lockdep keeps it (kernel/locking/lockdep.c).

Every lock belongs to a class (by default its name; ``lockdep_set_class()``
moves one lock into a class of its own, as the kernel does with a
``lock_class_key``).  Taking a lock while others are held adds the edges
held-class -> taken-class to one graph kept for the whole run, whichever
path or thread added them.  An edge whose reverse path is already in the
graph closes a cycle: lockdep's "possible circular locking dependency",
recorded as a ``lock`` finding once per cycle, although no run has to
deadlock for it to be seen.  ``might_lock()`` / ``might_lock_read()`` add
the edges without taking the lock, as the kernel's annotations do.

Two locks of one class (two reservation objects under one acquire
context) add no edge: lockdep leaves that nesting to the ww_mutex rules.
"""
from __future__ import annotations

from .runtime import current_kernel
from .sched import current_tid


class _Graph:
    """The class-order graph of one run and the classes each task holds."""

    def __init__(self):
        self.edges: dict[tuple[str, str], str] = {}   # (held, taken) -> function that added it
        self.held: dict = {}                          # task id (None: single thread) -> [class]
        self.reported: set = set()


def _graph(k) -> _Graph:
    g = getattr(k, "_lockdep", None)
    if g is None:
        g = _Graph()
        k._lockdep = g
    return g


def lock_class(lock) -> str:
    """The class ``lock`` belongs to: set by lockdep_set_class(), else the lock's own default."""
    cls = getattr(lock, "lock_class", None)
    if cls:
        return cls
    default = getattr(type(lock), "default_lock_class", None)
    return default or getattr(lock, "name", type(lock).__name__)


def lockdep_set_class(lock, key: str) -> None:
    """Give ``lock`` the class ``key`` (the kernel's static lock_class_key)."""
    lock.lock_class = key


def _path(g: _Graph, src: str, dst: str) -> list | None:
    """A chain of edges src -> ... -> dst already in the graph, or None."""
    seen = {src}
    stack = [(src, [src])]
    while stack:
        node, path = stack.pop()
        for (a, b) in g.edges:
            if a != node or b in seen:
                continue
            if b == dst:
                return path + [b]
            seen.add(b)
            stack.append((b, path + [b]))
    return None


def _caller() -> str:
    from .runtime import call_site
    return call_site().rsplit(" ", 1)[-1]


def _add_edges(k, g: _Graph, cls: str, held: list) -> None:
    for h in held:
        if h == cls or (h, cls) in g.edges:
            continue
        back = _path(g, cls, h)
        g.edges[(h, cls)] = _caller()
        if back is None:
            continue
        cycle = tuple(back + [cls])
        key = frozenset(zip(cycle, cycle[1:]))
        if key in g.reported:
            continue
        g.reported.add(key)
        steps = "; ".join(f"{a} -> {b} (in {g.edges[(a, b)]})" for a, b in zip(cycle, cycle[1:]))
        k.record("lock", f"possible circular locking dependency (lockdep): {steps}")


def lock_acquire(lock, trylock: bool = False) -> None:
    """Note that the running task took ``lock``: edges from every class it holds
    (none for a trylock, which cannot wait)."""
    k = current_kernel()
    g = _graph(k)
    cls = lock_class(lock)
    held = g.held.setdefault(current_tid(), [])
    if not trylock:
        _add_edges(k, g, cls, held)
    held.append(cls)


def lock_release(lock) -> None:
    """Note that the running task dropped ``lock``."""
    g = _graph(current_kernel())
    held = g.held.get(current_tid(), [])
    cls = lock_class(lock)
    for i in range(len(held) - 1, -1, -1):
        if held[i] == cls:
            del held[i]
            return


def might_lock(lock) -> None:
    """The path may take ``lock`` here: add its edges without holding it."""
    k = current_kernel()
    g = _graph(k)
    _add_edges(k, g, lock_class(lock), g.held.get(current_tid(), []))


might_lock_read = might_lock


def lock_edges(k=None) -> dict:
    """The (held, taken) class pairs a run has recorded, with the function that added each."""
    return dict(_graph(k or current_kernel()).edges)
