"""One modelled kernel run: its findings, live allocations, held locks and
fault injector, made current with a context manager.

    with Kernel(fail_nth=3, name="export") as k:
        path()
    k.findings        # [Finding(kind, message, site), ...]

Allocators, locks and WARNs find their run with :func:`current_kernel` (a
``contextvars`` variable, so threads and asyncio tasks each see their own).
Outside any ``with Kernel()`` block they use one process-wide default run,
``Kernel(name="default")``, which never ends and so never reports leaks by
itself; call ``current_kernel().check_leaks()`` to ask.

When a run ends it reports, as a kernel would at that point: every live
allocation not marked long-lived (``leak``, like kmemleak) and every lock still
held (``lock``, like lockdep's "lock held when returning to user space").
"""
from __future__ import annotations

import contextvars
import os
import sys
from collections import Counter
from dataclasses import dataclass

#: Every kind of finding the lab records.
FINDING_KINDS = (
    "leak", "use-after-free", "double-free", "bad-free", "lock", "warn",
    "uninitialised", "use-after-revoke", "mistranslation", "overstated-segment",
    "no-mapping", "unowned-resource",
)


@dataclass(frozen=True)
class Finding:
    """One report: ``kind`` from FINDING_KINDS, a message, the modelled
    call site as ``"path/file.py:line function"`` and ``chain``, the kernel
    call chain that allocated (a leak), took the lock (a lock still held)
    or reached the report, innermost first, as kernel function names."""

    kind: str
    message: str
    site: str
    chain: tuple = ()

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message} at {self.site}"


_KMODEL_DIR = os.path.dirname(os.path.abspath(__file__))
_LAB_ROOT = os.path.dirname(os.path.dirname(_KMODEL_DIR))
_SKIP_FILES = {os.path.join(os.path.dirname(sys.modules["contextlib"].__file__), "contextlib.py")}


#: Lab directories whose functions are not kernel functions (the harness around the model).
_HARNESS_DIRS = tuple(os.path.join(_LAB_ROOT, "dmabuf_lab", d) + os.sep
                      for d in ("litmus", "experiments", "figures", "runner", "bench", "findings")) + (
    os.path.join(_LAB_ROOT, "dmabuf_lab", "cli.py"),)
_PACKAGE_DIR = os.path.join(_LAB_ROOT, "dmabuf_lab") + os.sep
#: Method names of the lab's driver objects: the step, not a kernel function.
_NOT_KERNEL = {"attach", "map", "unmap", "detach", "revoke", "move", "export", "release", "teardown",
               "wrapper", "inner", "check_ptr", "log", "fixed", "mode", "option"}


def kernel_chain(skip_kmodel: bool = True, limit: int = 12) -> tuple:
    """The modelled kernel functions on the stack, innermost first.

    Frames of the harness (runner, litmus, notebooks), private helpers
    (``_name``) and the drivers' step methods are left out, so what remains
    reads like a kernel backtrace: ``("sg_alloc_table",
    "dma_buf_phys_vec_to_sgt", "vfio_pci_dma_buf_map", "dma_buf_map_attachment")``.
    """
    f = sys._getframe(1)
    out = []
    while f is not None and len(out) < limit:
        path = f.f_code.co_filename
        name = f.f_code.co_name
        if (path.startswith(_PACKAGE_DIR) and not path.startswith(_HARNESS_DIRS)
                and not (skip_kmodel and path.startswith(_KMODEL_DIR + os.sep))
                and not name.startswith("_") and not name.startswith("<") and name not in _NOT_KERNEL
                and (not out or out[-1] != name)):
            out.append(name)
        f = f.f_back
    return tuple(out)


def call_site(skip: int = 0) -> str:
    """The first frame outside kmodel, as ``"file:line function"``.

    ``skip`` drops that many further caller frames (a model helper that wants
    its own caller blamed).  Paths inside the lab are given from the repository
    root, others by basename.
    """
    f = sys._getframe(1)
    while f is not None and (f.f_code.co_filename.startswith(_KMODEL_DIR + os.sep)
                             or f.f_code.co_filename in _SKIP_FILES):
        f = f.f_back
    while skip > 0 and f is not None and f.f_back is not None:
        f, skip = f.f_back, skip - 1
    if f is None:
        return "?"
    path = os.path.abspath(f.f_code.co_filename)
    if path.startswith(_LAB_ROOT + os.sep):
        path = os.path.relpath(path, _LAB_ROOT)
    else:
        path = os.path.basename(path)
    return f"{path}:{f.f_lineno} {f.f_code.co_name}"


class Kernel:
    """A modelled kernel run.

    ``fail_nth``: fail the n-th allocation of the run (1-based, like
    ``/proc/self/task/<tid>/fail-nth``); that allocation returns None.
    Attributes: ``findings``, ``nr_allocs`` (allocation attempts so far),
    ``alloc_sites`` (site of each attempt in order), ``fault`` (the
    FaultInjector), ``held_locks``.
    """

    def __init__(self, fail_nth: int | None = None, name: str = "run"):
        from .fault import FaultInjector  # runtime <- fault, no cycle at import

        self.name = name
        self.findings: list[Finding] = []
        self.fault = FaultInjector(fail_nth)
        self.nr_allocs = 0
        self.alloc_sites: list[str] = []
        self.live: dict[int, object] = {}      # id(Allocation) -> Allocation
        self.held_locks: list = []             # dma_resv / spinlock_t, in order taken
        self.atomic_depth = 0                  # spinlocks held (preempt count)
        self._warned_once: set = set()
        self._token = None
        self.ended = False
        self._per_run: dict = {}               # state other modules keep for this run (see per_run)

    def per_run(self, key: str, factory):
        """The state ``key`` that some other part of the model keeps for this run, made by
        ``factory()`` on first use.  It lives and dies with the run (a table keyed by the run
        would keep every run alive whose state points back at it)."""
        state = self._per_run.get(key)
        if state is None:
            state = self._per_run[key] = factory()
        return state

    def per_run_get(self, key: str):
        """The state ``key`` of this run, or None when nothing made it yet."""
        return self._per_run.get(key)

    @property
    def fail_nth(self) -> int | None:
        return self.fault.fail_nth

    # -- context management -------------------------------------------------
    def __enter__(self) -> "Kernel":
        if self._token is not None:
            raise RuntimeError(f"Kernel {self.name!r} is already current")
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc) -> bool:
        try:
            self.end()
        finally:
            _current.reset(self._token)
            self._token = None
        return False

    def end(self) -> None:
        """Close the run: report leaks and locks still held (once)."""
        if self.ended:
            return
        self.ended = True
        self.check_leaks()
        for lock in list(self.held_locks):
            self.record("lock", f"{lock!r} still held when the run ended "
                                "(lock held when returning to user space)",
                        getattr(lock, "lock_site", "?"), getattr(lock, "lock_chain", ()) or ())

    # -- findings -----------------------------------------------------------
    def record(self, kind: str, message: str, site: str | None = None, chain: tuple | None = None) -> Finding:
        """Append a finding; ``site`` defaults to the modelled caller, ``chain`` to the
        kernel call chain that reached this report."""
        if kind not in FINDING_KINDS:
            raise ValueError(f"unknown finding kind {kind!r}; expected one of {FINDING_KINDS}")
        f = Finding(kind, message, site if site is not None else call_site(),
                    chain if chain is not None else kernel_chain())
        self.findings.append(f)
        return f

    def findings_of(self, kind: str) -> list[Finding]:
        """The findings of one kind."""
        return [f for f in self.findings if f.kind == kind]

    def kinds(self) -> Counter:
        """Count of findings per kind."""
        return Counter(f.kind for f in self.findings)

    @property
    def clean(self) -> bool:
        """True when the run has recorded no finding at all."""
        return not self.findings

    # -- leaks --------------------------------------------------------------
    def check_leaks(self) -> list[Finding]:
        """Record a ``leak`` for every live, not long-lived allocation not yet
        reported, and return the new findings (like a kmemleak scan)."""
        new = []
        for a in list(self.live.values()):
            if a.kept or a.leak_reported:
                continue
            a.leak_reported = True
            new.append(self.record("leak", f"{a.describe()} never freed", a.site,
                                   (a.fn,) + tuple(getattr(a, "chain", ()) or ())))
        return new

    def live_allocations(self) -> list:
        """Allocations not yet freed, oldest first."""
        return sorted(self.live.values(), key=lambda a: a.seq)

    def keep(self, obj) -> object:
        """Mark a heap object as long-lived (module lifetime): never a leak."""
        from .alloc import kmemleak_not_leak
        kmemleak_not_leak(obj)
        return obj

    # -- WARN_ON_ONCE bookkeeping -------------------------------------------
    def once(self, key) -> bool:
        """True the first time ``key`` is seen in this run."""
        if key in self._warned_once:
            return False
        self._warned_once.add(key)
        return True

    @property
    def in_atomic(self) -> bool:
        return self.atomic_depth > 0

    def __repr__(self):
        return (f"Kernel({self.name!r}, fail_nth={self.fail_nth}, allocs={self.nr_allocs}, "
                f"findings={dict(self.kinds())})")


_default = Kernel(name="default")
_current: contextvars.ContextVar[Kernel] = contextvars.ContextVar("dmabuf_lab_kernel")


def current_kernel() -> Kernel:
    """The run made current by ``with Kernel()``, else the process-wide default run."""
    return _current.get(_default)


def default_kernel() -> Kernel:
    """The process-wide run used outside any ``with Kernel()`` block."""
    return _default


def report(kind: str, message: str, site: str | None = None) -> Finding:
    """Record a finding in the current run (for other parts of the lab:
    ``use-after-revoke``, ``mistranslation``, ``overstated-segment``,
    ``no-mapping`` ...).  ``site`` defaults to the first caller outside kmodel."""
    return current_kernel().record(kind, message, site)
