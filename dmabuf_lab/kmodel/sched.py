"""Cooperative kernel threads: where the model lets another thread run.

A concurrent litmus run gives each scenario thread its own stack (a
greenlet), and only one of them runs at any time.  The model calls :func:`sched_point`
right before every action another thread could observe or be held up by
(taking or dropping a lock, waiting, signalling, reading or writing state
shared between exporter and importer).  There the running thread parks and
the :class:`Scheduler` decides, from the outside, which thread goes next.
The code a thread runs from one point to the next is one *transition*; it
performs exactly the action announced at its starting point, plus work on
its own or lock-protected data.

Outside a concurrent run (``current_scheduler() is None``) every helper here
returns at once, so the single-thread model is unchanged.

State two threads share is declared once, where its struct is defined:
``shared = ("revoked", ...)`` on a :class:`~dmabuf_lab.kmodel.alloc.kstruct`,
or :class:`SharedState` as a base of a plain class.  Every read and every
write of a declared member then announces itself (:func:`shared_access`),
so a twin cannot forget to; :func:`atomic` makes one read-modify-write
(kref_get, atomic_long_inc_not_zero) a single action, and
:func:`unannounced` lets the lab's own checks look without adding a point.

Each announced action is an :class:`Op`: a kind, the shared object it
touches (a stable key: the object's class name and its order of first use
in the run, so that a replayed run names objects the same way), whether it
writes, a label for traces and the kernel function that did it; ``also``
names further objects that the same indivisible action touches.  Two ops
of different threads are *independent* when no object that both touch is
written by either; the explorer uses that to skip reorderings that cannot
change anything.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

import greenlet

from .runtime import call_site


@dataclass(frozen=True)
class Op:
    """One announced action of a thread (see the module docstring)."""

    kind: str          # lock, unlock, read, write, wait, signal
    obj: tuple         # (class name, sequence number in the run)
    write: bool
    label: str         # e.g. "dma_resv_lock(dma_resv#1)"
    func: str = ""     # the modelled kernel function that performs it
    #: further (object key, write) pairs the same indivisible action touches (a DMA that meets
    #: both the device's decode state and the iomem tree's ownership of the window)
    also: tuple = ()

    def __str__(self) -> str:
        return self.label

    def touches(self) -> tuple:
        """Every (object key, write) pair of the action, ``obj`` first."""
        return ((self.obj, self.write),) + self.also

    def to_dict(self) -> dict:
        """Plain JSON data (``obj`` as a list); :meth:`from_dict` gives the Op back."""
        d = {"kind": self.kind, "obj": list(self.obj), "write": self.write, "label": self.label,
             "func": self.func}
        if self.also:
            d["also"] = [[list(k), w] for k, w in self.also]
        return d

    @classmethod
    def from_dict(cls, data) -> "Op":
        try:
            also = tuple((tuple(k), bool(w)) for k, w in data.get("also", ()))
            return cls(str(data["kind"]), tuple(data["obj"]), bool(data["write"]), str(data["label"]),
                       str(data.get("func", "")), also)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Op: expected a dict with kind, obj (list), write, label, func and optionally "
                             f"also (list of [obj, write]), got {data!r:.80} ({type(exc).__name__}: {exc})") from None


def independent(a: Op, b: Op) -> bool:
    """True when executing ``a`` and ``b`` in either order ends the same: no object
    that both touch is written by either."""
    if not a.also and not b.also:
        return a.obj != b.obj or (not a.write and not b.write)
    return not any(ka == kb and (wa or wb) for ka, wa in a.touches() for kb, wb in b.touches())


class Abort(BaseException):
    """Raised inside a parked thread to unwind it when the run is cut short."""


@dataclass(eq=False)
class ModelThread:
    """One scenario thread: its body, where it is parked and what it holds."""

    tid: int
    name: str
    body: Callable[[], None]
    pending: Optional[Op] = None
    ready: Optional[Callable[[], bool]] = None
    waits_for: Optional[Callable[[], Iterable[int]]] = None
    done: bool = False
    error: Optional[BaseException] = None
    held: list = field(default_factory=list)
    quiet: int = 0          # > 0: shared_access() announces nothing (atomic / unannounced)
    stack: Optional[greenlet.greenlet] = None   # where the body runs

    @property
    def enabled(self) -> bool:
        return not self.done and (self.ready is None or bool(self.ready()))


_current: contextvars.ContextVar = contextvars.ContextVar("dmabuf_lab_scheduler", default=None)


def current_scheduler() -> Optional["Scheduler"]:
    """The scheduler of the concurrent run in progress, or None."""
    return _current.get()


class Scheduler:
    """Runs model threads one transition at a time.

    ``spawn`` the threads, ``start()`` (each runs to its first point), then
    repeatedly ``step(tid)`` one of ``enabled()``; ``abort()`` unwinds the
    threads that have not finished.  ``trace`` lists every transition taken
    as ``(tid, Op)``.  ``lock_edges`` collects, lockdep-style, every
    (held class, taken class) pair with the function that took it.
    """

    def __init__(self):
        self.threads: list[ModelThread] = []
        self.trace: list[tuple[int, Op]] = []
        self.lock_edges: dict[tuple[str, str], str] = {}
        self._keys: dict[int, tuple] = {}
        self._counts: dict[str, int] = {}
        self._keep: list = []          # objects keyed, kept alive so ids stay unique
        self._running: Optional[ModelThread] = None
        self._control: Optional[greenlet.greenlet] = None   # the controlling stack
        self._aborting = False
        self._token = None

    # -- object naming --------------------------------------------------------
    def key(self, obj, cls: Optional[str] = None) -> tuple:
        """A stable name for ``obj``: its class and the order it was first seen."""
        k = self._keys.get(id(obj))
        if k is None:
            name = cls or type(obj).__name__
            n = self._counts.get(name, 0) + 1
            self._counts[name] = n
            k = (name, n)
            self._keys[id(obj)] = k
            self._keep.append(obj)
        return k

    @staticmethod
    def name_of(key: tuple) -> str:
        return f"{key[0]}#{key[1]}"

    # -- threads --------------------------------------------------------------
    def spawn(self, name: str, body: Callable[[], None]) -> ModelThread:
        t = ModelThread(len(self.threads), name, body)
        self.threads.append(t)
        return t

    def current(self) -> Optional[ModelThread]:
        """The model thread running now (None in the controlling thread)."""
        return self._running

    def _run(self, t: ModelThread) -> None:
        try:
            if not self._aborting:
                t.body()
        except Abort:
            pass
        except BaseException as exc:       # reported by the caller; never swallowed
            t.error = exc
        finally:
            t.done = True
            t.pending = None

    def start(self) -> None:
        """Make this scheduler current, give every thread its stack and run each to its first point."""
        self._token = _current.set(self)
        self._control = greenlet.getcurrent()
        ctx = contextvars.copy_context()
        for t in self.threads:
            t.stack = greenlet.greenlet(lambda t=t: self._run(t), parent=self._control)
            t.stack.gr_context = ctx.copy()
        for t in self.threads:
            self._resume(t)

    def _resume(self, t: ModelThread) -> None:
        """Run ``t`` until it parks at its next point or finishes, then come back here."""
        self._running = t
        try:
            t.stack.switch()
        finally:
            self._running = None

    def enabled(self) -> list[int]:
        return [t.tid for t in self.threads if t.enabled]

    def finished(self) -> bool:
        return all(t.done for t in self.threads)

    def step(self, tid: int) -> Op:
        """Let thread ``tid`` perform its pending action and run to its next point."""
        t = self.threads[tid]
        if t.done or not t.enabled:
            raise RuntimeError(f"thread {t.name} cannot be stepped: it has "
                               f"{'finished' if t.done else 'nothing runnable'}")
        op = t.pending
        self.trace.append((tid, op))
        self._resume(t)
        return op

    def abort(self) -> None:
        """Unwind every thread that has not finished (deadlock, bound, crash)."""
        self._aborting = True
        for t in self.threads:
            if not t.done and t.stack is not None:
                self._resume(t)

    def close(self) -> None:
        if any(not t.done for t in self.threads):
            self.abort()
        if self._token is not None:
            _current.reset(self._token)
            self._token = None

    # -- called by the model, from a model thread --------------------------------
    def point(self, kind: str, key: tuple, write: bool, label: str,
              ready: Optional[Callable[[], bool]] = None,
              waits_for: Optional[Callable[[], Iterable[int]]] = None,
              also: Iterable[tuple] = ()) -> None:
        """Park the running thread before an action on ``key``; ``also`` lists further
        (key, write) pairs the same action touches."""
        t = self.current()
        if t is None:          # the controlling thread (set-up, teardown): no interleaving
            return
        if self._aborting:     # unwinding (a finally that unlocks): never park again
            raise Abort()
        func = call_site().rsplit(" ", 1)[-1]
        t.pending = Op(kind, key, write, label, func, tuple((tuple(k), bool(w)) for k, w in also))
        t.ready, t.waits_for = ready, waits_for
        self._control.switch()             # park: the controller picks who goes next
        t.pending, t.ready, t.waits_for = None, None, None
        if self._aborting:
            raise Abort()

    def note_acquire(self, lock_key: tuple) -> None:
        """Record lockdep edges from every lock class the thread holds to this one."""
        t = self.current()
        if t is None:
            return
        cls = lock_key[0]
        for held in t.held:
            if held[0] != cls:
                self.lock_edges.setdefault((held[0], cls), call_site().rsplit(" ", 1)[-1])
        t.held.append(lock_key)

    def note_release(self, lock_key: tuple) -> None:
        t = self.current()
        if t is not None and lock_key in t.held:
            t.held.remove(lock_key)


def current_task() -> object:
    """Who is running: the model thread of a concurrent run, else the OS thread (a stable,
    hashable identity for per-task state such as task work)."""
    s = _current.get()
    t = s.current() if s is not None else None
    return ("model", t.tid) if t is not None else ("thread", threading.get_ident())


def sched_point(kind: str, obj, write: bool, label: str, *, cls: Optional[str] = None,
                ready: Optional[Callable[[], bool]] = None,
                waits_for: Optional[Callable[[], Iterable[int]]] = None,
                also: Iterable[tuple] = ()) -> None:
    """Announce an action on shared ``obj`` and let another thread run first.

    ``ready`` makes the action a blocking one (the thread is not runnable
    until it returns true); ``waits_for`` names the threads that could make
    it true (for deadlock reports); ``also`` lists further ``(object, write)``
    pairs that the same indivisible action reads or writes.  No-op outside a
    concurrent run.
    """
    s = _current.get()
    if s is None:
        return
    s.point(kind, s.key(obj, cls), write, label, ready, waits_for,
            also=[(s.key(o), w) for o, w in also])


def shared_read(obj, member: str, *, cls: Optional[str] = None) -> None:
    """A read of ``obj.member`` (state shared between exporter and importer)."""
    s = _current.get()
    if s is None:
        return
    k = s.key(obj, cls)
    s.point("read", k, False, f"read {s.name_of(k)}.{member}")


def shared_write(obj, member: str, *, cls: Optional[str] = None) -> None:
    """A write of ``obj.member`` (state shared between exporter and importer)."""
    s = _current.get()
    if s is None:
        return
    k = s.key(obj, cls)
    s.point("write", k, True, f"write {s.name_of(k)}.{member}")


def shared_access(obj, member: str, write: bool) -> None:
    """A read or write of a declared shared member: one announced action of the
    running model thread (nothing outside a concurrent run, in the controlling
    thread, or inside :func:`atomic` / :func:`unannounced`)."""
    s = _current.get()
    if s is None:
        return
    t = s.current()
    if t is None or t.quiet:
        return
    k = s.key(obj)
    what = "write" if write else "read"
    s.point(what, k, write, f"{what} {s.name_of(k)}.{member}")


@contextlib.contextmanager
def unannounced():
    """Accesses to shared members inside the block add no point (the lab's checks)."""
    s = _current.get()
    t = s.current() if s is not None else None
    if t is None:
        yield
        return
    t.quiet += 1
    try:
        yield
    finally:
        t.quiet -= 1


@contextlib.contextmanager
def atomic(obj, member: str):
    """One atomic read-modify-write of ``obj.member``: a single announced write,
    then the block's own reads and writes of shared members add no point."""
    shared_access(obj, member, True)
    with unannounced():
        yield


class SharedState:
    """Base for plain (non-kstruct) model classes: every read and write of a
    member named in ``shared`` is an announced action (see the module docstring).
    ``shared`` is a tuple of names, or a dict of name -> the name traces show
    (the C's, e.g. ``{"memory_enabled": "PCI_COMMAND_MEMORY"}``)."""

    shared: tuple | dict = ()

    def __getattribute__(self, name):
        shared = type(self).shared
        if name in shared:
            shared_access(self, shared[name] if isinstance(shared, dict) else name, False)
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        shared = type(self).shared
        if name in shared:
            shared_access(self, shared[name] if isinstance(shared, dict) else name, True)
        object.__setattr__(self, name, value)


def current_tid() -> Optional[int]:
    """The running model thread's id, or None outside a concurrent run."""
    s = _current.get()
    if s is None:
        return None
    t = s.current()
    return t.tid if t is not None else None
